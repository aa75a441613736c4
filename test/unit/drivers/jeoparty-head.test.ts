// The "#head" numbering (docs/buzzer.md#firmware-versions): the receiver firmware as last
// committed reads v2's control opcodes (01 ping, 02 pong, 04 colour) and writes v1's event
// bytes (04 buzz, 06 connected, 07 disconnected). Codec tables, pool spec and link rules.
import { describe, expect, test } from "bun:test";
import { Decoder, encode } from "../../../src/drivers/jeoparty/codec.ts";
import { Link, type LinkEvents } from "../../../src/drivers/jeoparty/link.ts";
import { parsePoolSpec } from "../../../src/protocols/buzzer/state.ts";
import { FakeClock } from "../../helpers/fakes.ts";

const bytes = (...b: number[]) => new Uint8Array(b);

describe("head numbering: codec", () => {
  test("from the receiver: 01 ping, 02 pong, 04 buzz, 06 connected, 07 disconnected; 03 and 05 are unknown", () => {
    const d = new Decoder("head", "receiver");
    expect(d.push(bytes(0x01, 0x02, 0x04, 7, 0x06, 8, 0x07, 9))).toEqual([
      { type: "ping" },
      { type: "pong" },
      { type: "buzz", id: 7 },
      { type: "connected", id: 8 },
      { type: "disconnected", id: 9 },
    ]);
    expect(d.push(bytes(0x03))).toEqual([{ type: "unknown", byte: 0x03 }]);
    expect(d.push(bytes(0x05))).toEqual([{ type: "unknown", byte: 0x05 }]);
  });

  test("from the mediator: 01 ping, 02 pong, 04 id r g b colour", () => {
    const d = new Decoder("head", "mediator");
    expect(d.push(bytes(0x01, 0x02, 0x04, 3, 10, 20))).toEqual([{ type: "ping" }, { type: "pong" }]);
    expect(d.push(bytes(30))).toEqual([{ type: "color", id: 3, rgb: [10, 20, 30] }]);
    expect(d.push(bytes(0x06))).toEqual([{ type: "unknown", byte: 0x06 }]);
  });

  test("encode: the same bytes, and no reset opcode (01 is ping on that firmware)", () => {
    const enc = (m: Parameters<typeof encode>[0]) => [...(encode(m, "head") ?? [])];
    expect(enc({ type: "ping" })).toEqual([0x01]);
    expect(enc({ type: "pong" })).toEqual([0x02]);
    expect(enc({ type: "color", id: 1, rgb: [2, 3, 4] })).toEqual([0x04, 1, 2, 3, 4]);
    expect(enc({ type: "buzz", id: 5 })).toEqual([0x04, 5]);
    expect(enc({ type: "connected", id: 5 })).toEqual([0x06, 5]);
    expect(enc({ type: "disconnected", id: 5 })).toEqual([0x07, 5]);
    expect(encode({ type: "reset" }, "head")).toBeNull();
    expect(enc({ type: "ack" })).toEqual([0x13, 0x37]);
  });

  test("pool spec: #head selects it and is not part of the pool id", () => {
    expect(parsePoolSpec("/dev/ttyACM0#head")).toEqual({ id: "/dev/ttyACM0", kind: "serial", numbering: "head" });
    expect(parsePoolSpec("/dev/serial/by-id/usb-Arduino#head")).toEqual({ id: "/dev/serial/by-id/usb-Arduino", kind: "serial", numbering: "head" });
    expect(parsePoolSpec("/dev/ttyACM0#HEAD")).toEqual({ id: "/dev/ttyACM0#HEAD", kind: "serial", numbering: "v1" });
  });
});

describe("head numbering: link", () => {
  function setup() {
    const clock = new FakeClock();
    const written: number[][] = [];
    const resets: string[] = [];
    const events: string[] = [];
    const ev: LinkEvents = {
      up: (ids) => events.push(`up ${ids.join(",")}`),
      down: (r) => events.push(`down ${r}`),
      buzz: (id) => events.push(`buzz ${id}`),
      connected: (id) => events.push(`connected ${id}`),
      disconnected: (id) => events.push(`disconnected ${id}`),
    };
    const link = new Link("head", clock, { write: (b) => written.push([...b]), reset: (r) => resets.push(r) }, ev);
    const feed = (...b: number[]) => link.data(bytes(...b));
    return { clock, link, feed, written, resets, events };
  }

  test("presses and (dis)connects are events, never resets; pings are 01 and 02 answers them", () => {
    const { clock, link, feed, written, resets, events } = setup();
    link.opened();
    feed(0x00, 0x42, 0x00);
    feed(0x01, 0x00); // the firmware's list: one buzzer, id 0
    expect(written.splice(0)).toEqual([[0x13, 0x37]]);
    feed(0x04, 0x00, 0x07, 0x00, 0x06, 0x00, 0x04, 0x00);
    expect(events).toEqual(["up 0", "buzz 0", "disconnected 0", "connected 0", "buzz 0"]);
    clock.advance(100);
    expect(written.splice(0)).toEqual([[0x01]]); // the mediator's ping
    feed(0x02);
    feed(0x01); // a ping from the receiver is answered 02
    expect(written.splice(0)).toEqual([[0x02]]);
    expect(link.setColor(0, [9, 8, 7])).toBe(true);
    expect(written.splice(0)).toEqual([[0x04, 0, 9, 8, 7]]);
    expect(resets).toEqual([]);
    expect(link.state).toBe("up");
  });

  test("an unknown byte still resets, without a reset opcode on the wire", () => {
    const { link, feed, written, resets, events } = setup();
    link.opened();
    feed(0x00, 0x42, 0x00, 0x01, 0x03);
    written.length = 0;
    feed(0x05);
    expect(resets).toEqual(["unknown opcode 0x05"]);
    expect(events.at(-1)).toBe("down unknown opcode 0x05");
    expect(written).toEqual([]);
  });

  test("no hello in time: the port is reopened; nothing is written that the firmware cannot read", () => {
    const { clock, link, written, resets } = setup();
    link.opened();
    clock.advance(2000);
    clock.advance(2000);
    expect(written).toEqual([]);
    expect(resets).toEqual(["no handshake from the receiver"]);
  });
});
