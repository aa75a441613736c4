// A keyboard pool end to end: evdev records written into a pty (no /dev/input device exists on
// the test host) → the server's evdev reader → /mediator clients.
import { describe, expect, test } from "bun:test";
import { EV_KEY, inputEvent } from "../../../src/drivers/keyboard/evdev.ts";
import { PtyMaster } from "../../../src/drivers/serial/pty.ts";
import { buzzerProtocol } from "../../../src/protocols/buzzer/plugin.ts";
import { testPoolAllow, bootServer } from "../../helpers/server.ts";
import { openMediator } from "../../helpers/clients/buzzer.ts";

describe("/mediator keyboard pools", () => {
  test("evdev records on an input device: key-downs buzz, the key is announced on its first press", async () => {
    // A pty stands in for /dev/input/eventN (none exists here); "#keyboard" selects the evdev reader.
    const kbd = await PtyMaster.open();
    kbd.raw();
    const srv = await bootServer({ poolAllow: testPoolAllow }, { protocols: [buzzerProtocol({ minBackoffMs: 30 })] });
    try {
      const c = await openMediator(srv.ws(""));
      c.send({ command: "connect", pool: kbd.path + "#keyboard" });
      expect(await c.nextJson()).toEqual({ result: "connect", pool: kbd.path, buzzers: [] });
      const press = (code: number) => new Uint8Array([...inputEvent(EV_KEY, code, 1), ...inputEvent(0, 0, 0), ...inputEvent(EV_KEY, code, 0)]);
      const twice = new Uint8Array([...press(30), ...press(30), ...inputEvent(EV_KEY, 30, 2)]);
      expect(kbd.write(twice.subarray(0, 50))).toBe(true); // a read that ends mid-record
      await Bun.sleep(20); // two writes, so that the server's read ends mid-record: the point
      expect(kbd.write(twice.subarray(50))).toBe(true);
      const got = [await c.nextJson(), await c.nextJson(), await c.nextJson()].map(({ ts, ...e }) => e);
      expect(got).toEqual([
        { event: "connected", pool: kbd.path, buzzer: 30 },
        { event: "buzz", pool: kbd.path, buzzer: 30 },
        { event: "buzz", pool: kbd.path, buzzer: 30 },
      ]);
      expect(await c.quiet(100)).toBe(true); // the autorepeat did not buzz
      c.send({ list: "buzzers" });
      expect(await c.nextJson()).toEqual({ response: "buzzers", pools: [{ pool: kbd.path, buzzers: [30] }] });
      c.send({ command: "set_color", pool: kbd.path, buzzer: 30, color: [1, 2, 3] });
      expect(await c.nextJson()).toMatchObject({ error: "invalid_data_type", cause: "pool" });
      kbd.close(); // unplugged
      expect(await c.nextJson()).toMatchObject({ event: "disconnected", pool: kbd.path, buzzer: null });
      c.close();
    } finally {
      kbd.close();
      await srv.stop();
    }
  });
});
