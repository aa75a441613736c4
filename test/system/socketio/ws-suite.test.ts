// Conformance: the protocol test suite's plain variant as it really runs — Node, the "ws"
// package, a once-listener per frame — against the reference server. Frames written together
// reach such a client in one tick; this catches a server that would make the suite miss one.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { referenceConfig, referenceProtocol } from "../../../scripts/sio-reference-server.ts";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { ensure } from "../../helpers/tools.ts";

const NODE = "/usr/bin/node";
let s: TestServer;

beforeAll(async () => {
  ensure("node", () => Bun.spawnSync([NODE, "--version"]).exitCode === 0, ["nodejs"]);
  s = await bootServer(referenceConfig, { protocols: [referenceProtocol] });
}, 300_000);
afterAll(async () => {
  await s.stop();
});

test("every case passes under Node + ws with the suite's own waitFor", async () => {
  const proc = Bun.spawn([NODE, join(import.meta.dir, "ws-suite-client.mjs"), s.http], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(proc.stdout).text();
  expect(await proc.exited).toBe(0);
  const results = out.trim().split("\n").map((l) => JSON.parse(l) as { name: string; result: string });
  expect(results.length).toBe(8);
  for (const r of results) expect(r).toEqual({ name: r.name, result: "ok" });
}, 30_000);
