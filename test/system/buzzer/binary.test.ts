// The compiled binary drives a serial receiver: bun:ffi, loaded lazily through a dynamic import,
// must survive `bun build --compile` (docs/buzzer.md#the-driver; the start without any device is the smoke
// test's). Black-box: the executable alone in a temp folder, a socat pty pair, a WebSocket client.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { copyFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { startChild } from "../../../scripts/lib/spawn.ts";
import { build, hostTarget } from "../../../scripts/build.ts";
import { tempDir } from "../../helpers/server.ts";
import { ensureCommand } from "../../helpers/tools.ts";
import { waitFor } from "../../helpers/wait.ts";
import { openMediator } from "../../helpers/clients/buzzer.ts";
import { receiverOnSocat } from "./serial-receiver.ts";

// socat makes the pty pair; installed when the host lacks it (never skipped).
beforeAll(() => ensureCommand("socat"), 180_000);

const dir = tempDir("switchboard-buzzer-bin-");
let cleanup: Array<() => unknown> = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
  rmSync(dir, { recursive: true, force: true });
});

test("compiled binary: a --pool receiver on a pty is linked and its buzzes reach clients", async () => {
  const r = await build(hostTarget(), join(dir, "build-out"));
  if (!r.ok) throw new Error("build failed:\n" + r.output);
  const bin = join(dir, "switchboard");
  copyFileSync(join(dir, "build-out"), bin);
  rmSync(join(dir, "build-out"));
  const { rx, pool } = await receiverOnSocat((f) => cleanup.push(f));
  rx.firmware([4, 5]).hello();
  const cmd = [bin, "--port", "0", "--host", "127.0.0.1", "--data-dir", join(dir, "data"), "--log-format", "json", "--pool", pool];
  const { proc, port } = await startChild(cmd, { cwd: dir, env: { PATH: "/usr/bin:/bin" }, cleanEnv: true });
  cleanup.push(async () => {
    proc.kill("SIGKILL");
    await proc.exited;
  });
  const c = await openMediator(`ws://127.0.0.1:${port}`, {});
  cleanup.push(() => c.close());
  await rx.next("ack");
  // Linked once the server has read the receiver's list, which only a list of buzzers shows.
  let reply: any = null;
  const linked = async () => {
    c.send({ list: "buzzers" });
    reply = JSON.parse(await c.until((t) => t.startsWith('{"response"')));
    return reply.pools.length > 0;
  };
  await waitFor(linked, { timeoutMs: 1000, everyMs: 20 }).catch(() => {});
  expect(reply).toEqual({ response: "buzzers", pools: [{ pool: pool, buzzers: [4, 5] }] });
  rx.write(0x04, 5);
  expect(JSON.parse(await c.until((t) => t.includes('"buzz"')))).toEqual({ event: "buzz", pool: pool, buzzer: 5, ts: expect.any(Number) });
  proc.kill("SIGTERM");
  expect(await proc.exited).toBe(0);
}, 60_000);
