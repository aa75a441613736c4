// The mediator against a hand-driven receiver: the test plays the receiver byte by byte on a
// pty master, the way a test written against the contract alone would (no emulator logic).
import { describe, expect, test } from "bun:test";
import { PtyMaster } from "../../../src/drivers/serial/pty.ts";
import { buzzerProtocol } from "../../../src/protocols/buzzer/plugin.ts";
import { testPoolAllow, bootServer } from "../../helpers/server.ts";
import { openMediator } from "../../helpers/clients/buzzer.ts";
import { waitFor } from "../../helpers/wait.ts";

/** Bytes the mediator writes, until `n` have arrived (bounded wait; fewer when it ran out). */
async function expectBytes(m: PtyMaster, n: number, ms = 2000): Promise<number[]> {
  const got: number[] = [];
  const arrived = () => {
    const r = m.poll();
    if (r.open) got.push(...r.bytes);
    return got.length >= n;
  };
  await waitFor(arrived, { timeoutMs: ms, everyMs: 2 }).catch(() => {});
  return got;
}

/** Bytes the mediator writes until it closes the port (bounded wait). */
async function bytesUntilClosed(m: PtyMaster, ms = 2000): Promise<number[]> {
  const got: number[] = [];
  const closed = () => {
    const r = m.poll();
    if (!r.open) return true;
    got.push(...r.bytes);
    return false;
  };
  await waitFor(closed, { timeoutMs: ms, everyMs: 2, what: "the port to be closed" });
  return got;
}

describe("/mediator with a hand-driven receiver", () => {
  test("a hello sent before the port was opened still counts; the original handshake bytes", async () => {
    const rx = await PtyMaster.open();
    rx.raw(); // like socat's pty,raw,echo=0: a cooked pty would echo the early hello back to us
    const srv = await bootServer({ poolAllow: testPoolAllow }, { protocols: [buzzerProtocol()] });
    try {
      expect(rx.write(new Uint8Array([0x00, 0x42, 0x00]))).toBe(true); // ready, before anyone opened the port
      const c = await openMediator(srv.ws(""));
      c.send({ command: "connect", pool: rx.path });
      expect(await expectBytes(rx, 2)).toEqual([0x13, 0x37]);
      rx.write(new Uint8Array([0x02, 0x05, 0x09])); // two buzzers: 5 and 9
      expect(await c.nextJson()).toEqual({ result: "connect", pool: rx.path, buzzers: [5, 9] });
      rx.write(new Uint8Array([0x04, 0x09]));
      const events = [await c.nextJson(), await c.nextJson(), await c.nextJson()].map(({ ts, ...e }) => e);
      expect(events).toEqual([
        { event: "connected", pool: rx.path, buzzer: 5 },
        { event: "connected", pool: rx.path, buzzer: 9 },
        { event: "buzz", pool: rx.path, buzzer: 9 },
      ]);
      // Silence: the mediator pings (02); answering with a pong (03) keeps the pool connected.
      for (let i = 0; i < 3; i++) {
        expect(await expectBytes(rx, 1)).toEqual([0x02]);
        rx.write(new Uint8Array([0x03]));
      }
      // Our own ping gets a pong.
      rx.write(new Uint8Array([0x02]));
      expect(await expectBytes(rx, 1)).toEqual([0x03]);
      c.send({ command: "set_color", pool: rx.path, buzzer: 5, color: [1, 2, 3] });
      expect(await c.nextJson()).toMatchObject({ result: "set_color" });
      // Then stop answering: after 250 ms of silence the mediator pings, resets (01) and closes the port.
      const rest = await bytesUntilClosed(rx);
      const at = rest.indexOf(0x05);
      expect(rest.slice(at, at + 5)).toEqual([0x05, 5, 1, 2, 3]);
      expect(rest.slice(at + 5)).toContain(0x02);
      expect(rest.at(-1)).toBe(0x01);
      expect(await c.nextJson()).toMatchObject({ event: "disconnected", pool: rx.path, buzzer: null });
      c.close();
    } finally {
      rx.close();
      await srv.stop();
    }
  });
});
