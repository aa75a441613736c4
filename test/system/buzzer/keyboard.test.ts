// /mediator keyboard pools (docs/buzzer.md#keyboard-pools), black-box: a path
// under /dev/input/ (a symlink to one end of a socat pty pair, as no input device exists on the
// test host) carrying Linux input_event records written by the test itself.
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, rmdirSync, rmSync, symlinkSync } from "node:fs";
import { testPoolAllow, bootServer } from "../../helpers/server.ts";
import { openMediator } from "../../helpers/clients/buzzer.ts";
import { ensureCommand } from "../../helpers/tools.ts";
import { Receiver, SocatPair } from "./serial-receiver.ts";

// socat makes the pty pair; installed when the host lacks it (never skipped).
beforeAll(() => ensureCommand("socat"), 180_000);

/** struct input_event on 64-bit Linux: timeval (16 bytes), type u16, code u16, value s32. */
function record(type: number, code: number, value: number): number[] {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  v.setUint16(16, type, true);
  v.setUint16(18, code, true);
  v.setInt32(20, value, true);
  return [...b];
}
const EV_SYN = 0, EV_KEY = 1;

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

describe("/mediator keyboard pools", () => {
  test("/dev/input/event*: every key-down is a buzz with buzzer id = key code & 0xff", async () => {
    const pair = await SocatPair.open();
    cleanup.push(() => pair.close());
    const madeDir = !existsSync("/dev/input");
    mkdirSync("/dev/input", { recursive: true });
    const pool = `/dev/input/event${700 + (process.pid % 200)}`;
    rmSync(pool, { force: true });
    symlinkSync(pair.ends[1], pool);
    cleanup.push(() => {
      rmSync(pool, { force: true });
      if (madeDir) rmdirSync("/dev/input");
    });
    const kbd = new Receiver(pair.ends[0]); // only its write() is used: the "keyboard" sends records
    cleanup.push(() => kbd.close());
    const srv = await bootServer({ poolAllow: testPoolAllow });
    cleanup.push(() => srv.stop());
    const [a, b] = [await openMediator(srv.ws("")), await openMediator(srv.ws(""))];
    cleanup.push(() => a.close(), () => b.close());
    a.send({ command: "connect", pool });
    expect(await a.nextJson()).toEqual({ result: "connect", pool, buzzers: [] });
    // Key 30 down, sync, up; key 0x1c1 (449) down: id 0xc1; autorepeat (value 2) is not a press.
    kbd.write(...record(EV_KEY, 30, 1), ...record(EV_SYN, 0, 0), ...record(EV_KEY, 30, 0));
    kbd.write(...record(EV_KEY, 0x1c1, 1), ...record(EV_KEY, 0x1c1, 2), ...record(EV_KEY, 30, 1));
    const seen = [];
    for (let i = 0; i < 5; i++) {
      const e = await b.nextJson();
      expect(typeof e.ts).toBe("number");
      const { ts, ...rest } = e;
      seen.push(rest);
    }
    expect(seen.filter((e) => e.event === "buzz")).toEqual([
      { event: "buzz", pool, buzzer: 30 },
      { event: "buzz", pool, buzzer: 0xc1 },
      { event: "buzz", pool, buzzer: 30 },
    ]);
    expect(await b.quiet(100)).toBe(true);
    a.send({ list: "buzzers" });
    const reply = JSON.parse(await a.until((t) => t.startsWith('{"response"')));
    expect(reply).toEqual({ response: "buzzers", pools: [{ pool, buzzers: [30, 0xc1] }] });
  });
});
