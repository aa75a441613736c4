// A byte that starts no message is one unknown byte; the next is read afresh
// (docs/buzzer.md#link-choices). Found by the codec fuzzing (test/unit/fuzz/serial.test.ts): a 00
// not followed by 42 swallowed the byte after it, so a stray 00 on the line just before the
// receiver's hello lost the hello and the link waited 2 s for another.
import { describe, expect, test } from "bun:test";
import { Decoder } from "../../../src/drivers/jeoparty/codec.ts";
import { Link } from "../../../src/drivers/jeoparty/link.ts";
import { FakeClock } from "../../helpers/fakes.ts";

describe("jeoparty decoder resynchronises after a byte that starts no message", () => {
  test("00 then a hello: unknown 00, then the hello", () => {
    const d = new Decoder("v1", "receiver");
    expect(d.push(new Uint8Array([0x00, 0x00, 0x42, 0x00, 0x01, 0x07]))).toEqual([
      { type: "unknown", byte: 0x00 },
      { type: "ready", version: 0 },
      { type: "list", ids: [7] },
    ]);
  });

  test("00 then an event: the event is kept (v1 and v2)", () => {
    expect(new Decoder("v1", "receiver").push(new Uint8Array([0x00, 0x04, 0x09]))).toEqual([{ type: "unknown", byte: 0x00 }, { type: "buzz", id: 9 }]);
    expect(new Decoder("v2", "receiver").push(new Uint8Array([0x00, 0x01]))).toEqual([{ type: "unknown", byte: 0x00 }, { type: "ping" }]);
  });

  test("13 then a message on the mediator side: unknown 13, then the message", () => {
    expect(new Decoder("v1", "mediator").push(new Uint8Array([0x13, 0x05, 0x01, 0xff, 0x00, 0x00]))).toEqual([
      { type: "unknown", byte: 0x13 },
      { type: "color", id: 1, rgb: [255, 0, 0] },
    ]);
  });

  test("a link booting through a stray 00 answers the hello at once and comes up", () => {
    const clock = new FakeClock();
    const written: number[][] = [];
    const ups: number[][] = [];
    const link = new Link("v1", clock, { write: (b) => written.push([...b]), reset: () => {} }, {
      up: (ids) => ups.push(ids), down: () => {}, buzz: () => {}, connected: () => {}, disconnected: () => {},
    });
    link.opened();
    link.data(new Uint8Array([0x00])); // the line glitching as the board resets
    link.data(new Uint8Array([0x00, 0x42, 0x00]));
    expect(written).toEqual([[0x13, 0x37]]);
    link.data(new Uint8Array([0x02, 0x03, 0x09]));
    expect(link.state).toBe("up");
    expect(ups).toEqual([[3, 9]]);
  });
});
