// The Jeoparty receiver firmware as last committed ("Removed reset opcode") against the real
// mediator, on a pty. The receiver here is written from that firmware's wire behaviour, byte by
// byte (docs/buzzer.md#firmware-versions): it greets 00 42 00 when the port opens, wants exactly
// 13 37, then lists every buzzer slot; it answers 01 with 02, takes 02 and 04 id r g b, and
// writes 04 id for a press, 06 id for a plug, 07 id for an unplug. Any other byte from the
// mediator would hang that firmware (its read loop has no default case): the test fails on one.
import { afterEach, describe, expect, test } from "bun:test";
import { PtyMaster } from "../../../src/drivers/serial/pty.ts";
import { buzzerProtocol } from "../../../src/protocols/buzzer/plugin.ts";
import { bootServer, operatorHeaders, testPoolAllow, type TestServer } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";

class HeadFirmware {
  /** How many times the port was opened (each open reboots the board: a link reset). */
  opens = 0;
  /** Colours the mediator set: [slot, r, g, b]. */
  readonly colors: number[][] = [];
  /** Pings the mediator sent and this receiver answered. */
  pings = 0;
  /** A byte the firmware cannot consume: it would hang on it for good. */
  stuckOn: number | null = null;
  private open = false;
  private phase: "off" | "await-ack" | "loop" = "off";
  private inbox: number[] = [];
  private readonly timer: ReturnType<typeof setInterval>;

  private constructor(private readonly pty: PtyMaster, readonly slots: number) {
    pty.raw();
    this.timer = setInterval(() => this.poll(), 2);
  }
  static async start(slots: number): Promise<HeadFirmware> {
    return new HeadFirmware(await PtyMaster.open(), slots);
  }
  get path(): string {
    return this.pty.path;
  }

  press(slot: number): void {
    this.write(0x04, slot);
  }
  plug(slot: number): void {
    this.write(0x06, slot);
  }
  unplug(slot: number): void {
    this.write(0x07, slot);
  }

  stop(): void {
    clearInterval(this.timer);
    this.pty.close();
  }

  private write(...b: number[]): void {
    if (this.phase !== "loop") throw new Error("the receiver is not linked");
    this.pty.write(new Uint8Array(b));
  }

  private poll(): void {
    for (;;) {
      const r = this.pty.poll();
      if (!r.open) {
        this.open = false;
        this.phase = "off";
        return;
      }
      if (!this.open) {
        // DTR reset on open; setup() greets: magic 00 42, protocol version 00.
        this.open = true;
        this.opens++;
        this.inbox = [];
        this.phase = "await-ack";
        this.pty.write(new Uint8Array([0x00, 0x42, 0x00]));
      }
      if (r.bytes.byteLength === 0) return;
      this.inbox.push(...r.bytes);
      this.run();
    }
  }

  private run(): void {
    if (this.stuckOn !== null) return;
    if (this.phase === "await-ack") {
      if (this.inbox.length < 2) return;
      const [a, b] = this.inbox.splice(0, 2);
      if (a !== 0x13 || b !== 0x37) {
        this.stuckOn = a!; // exit(1)
        return;
      }
      // The committed list loop counts every slot as connected.
      this.pty.write(new Uint8Array([this.slots, ...Array.from({ length: this.slots }, (_, i) => i)]));
      this.phase = "loop";
    }
    while (this.inbox.length) {
      const op = this.inbox[0]!;
      if (op === 0x01) {
        this.inbox.shift();
        this.pings++;
        this.pty.write(new Uint8Array([0x02]));
      } else if (op === 0x02) {
        this.inbox.shift();
      } else if (op === 0x04) {
        if (this.inbox.length < 5) return;
        this.colors.push(this.inbox.splice(0, 5).slice(1));
      } else {
        this.stuckOn = op;
        return;
      }
    }
  }
}

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

async function setup(slots: number): Promise<{ rx: HeadFirmware; srv: TestServer; c: TestClient }> {
  const rx = await HeadFirmware.start(slots);
  cleanup.push(() => rx.stop());
  const srv = await bootServer({ poolAllow: testPoolAllow }, { protocols: [buzzerProtocol()] });
  cleanup.push(() => srv.stop());
  const c = await TestClient.open(srv.ws("/mediator"), { headers: operatorHeaders });
  cleanup.push(() => c.close());
  return { rx, srv, c };
}

/** The next event with its ts dropped. */
async function event(c: TestClient, ms = 3000): Promise<{ event: string; pool: string; buzzer: number | null }> {
  const { ts, ...e } = await c.nextJson(ms);
  expect(typeof ts).toBe("number");
  return e;
}

describe("/mediator with the receiver firmware as last committed", () => {
  test("#head: presses, plugs and unplugs are events; the link is never reset", async () => {
    const { rx, c } = await setup(3);
    const pool = rx.path;
    c.send({ command: "connect", pool: `${pool}#head` });
    expect(await c.nextJson()).toEqual({ result: "connect", pool, buzzers: [0, 1, 2] });
    for (const buzzer of [0, 1, 2]) expect(await event(c)).toEqual({ event: "connected", pool, buzzer });

    rx.press(2);
    expect(await event(c)).toEqual({ event: "buzz", pool, buzzer: 2 });
    rx.unplug(1);
    expect(await event(c)).toEqual({ event: "disconnected", pool, buzzer: 1 });
    rx.press(0);
    expect(await event(c)).toEqual({ event: "buzz", pool, buzzer: 0 });
    rx.plug(1);
    expect(await event(c)).toEqual({ event: "connected", pool, buzzer: 1 });
    rx.press(1);
    expect(await event(c)).toEqual({ event: "buzz", pool, buzzer: 1 });
    c.send({ list: "buzzers" });
    expect(await c.nextJson()).toEqual({ response: "buzzers", pools: [{ pool, buzzers: [0, 1, 2] }] });

    // Colour goes out as 04 slot r g b, which that firmware reads.
    c.send({ command: "set_color", pool, buzzer: 2, color: [255, 64, 0] });
    expect(await c.nextJson()).toMatchObject({ result: "set_color", pool, buzzer: 2 });
    const end = performance.now() + 2000;
    while (rx.colors.length === 0 && performance.now() < end) await Bun.sleep(5);
    expect(rx.colors).toEqual([[2, 255, 64, 0]]);

    // Idle for a while: the mediator keeps the link alive with 01 pings that get 02 back.
    const before = rx.pings;
    expect(await c.quiet(600)).toBe(true);
    expect(rx.pings - before).toBeGreaterThanOrEqual(3);
    rx.press(2);
    expect(await event(c)).toEqual({ event: "buzz", pool, buzzer: 2 });

    expect(rx.opens).toBe(1); // no reset reopened the port
    expect(rx.stuckOn).toBeNull(); // nothing the firmware could not read
  }, 15_000);

  test("the same firmware on #v2: a press resets the link and a plug reads as a disconnect", async () => {
    const { rx, c } = await setup(1);
    const pool = rx.path;
    c.send({ command: "connect", pool: `${pool}#v2` });
    expect(await c.nextJson()).toEqual({ result: "connect", pool, buzzers: [0] });
    expect(await event(c)).toEqual({ event: "connected", pool, buzzer: 0 });
    rx.press(0); // 04 is v2's colour opcode, which no receiver sends: a link reset
    expect(await event(c)).toEqual({ event: "disconnected", pool, buzzer: null });
    expect(await event(c, 5000)).toEqual({ event: "connected", pool, buzzer: 0 }); // reopened, greeted again
    expect(rx.opens).toBe(2);
    rx.plug(0); // 06 is v2's "disconnected"
    expect(await event(c)).toEqual({ event: "disconnected", pool, buzzer: 0 });
  }, 15_000);
});
