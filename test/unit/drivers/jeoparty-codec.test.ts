import { describe, expect, test } from "bun:test";
import { Decoder, encode, type Msg, type Numbering } from "../../../src/drivers/jeoparty/codec.ts";

type Sendable = Exclude<Msg, { type: "unknown" }>;
const cat = (parts: Uint8Array[]) => new Uint8Array(parts.flatMap((p) => [...p]));

/** Decode `bytes` split into two reads at every position, and into single bytes; all must agree. */
function decodeEverySplit(numbering: Numbering, from: "receiver" | "mediator", bytes: Uint8Array): Msg[] {
  const whole = new Decoder(numbering, from).push(bytes);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const d = new Decoder(numbering, from);
    expect([...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))]).toEqual(whole);
  }
  const d = new Decoder(numbering, from);
  expect([...bytes].flatMap((b) => d.push(new Uint8Array([b])))).toEqual(whole);
  return whole;
}

const fromReceiver: Sendable[] = [
  { type: "ready", version: 0 },
  { type: "list", ids: [1, 7, 255] },
  { type: "buzz", id: 7 },
  { type: "ping" },
  { type: "connected", id: 9 },
  { type: "pong" },
  { type: "disconnected", id: 1 },
  { type: "ready", version: 3 },
  { type: "list", ids: [] },
  { type: "buzz", id: 0 },
];
const fromMediator: Sendable[] = [{ type: "ack" }, { type: "ping" }, { type: "color", id: 4, rgb: [255, 0, 18] }, { type: "pong" }];

describe("jeoparty decoder", () => {
  for (const numbering of ["v1", "v2"] as const) {
    test(`${numbering}: receiver stream split at every position`, () => {
      const stream = cat(fromReceiver.map((m) => encode(m, numbering)!));
      expect(decodeEverySplit(numbering, "receiver", stream)).toEqual(fromReceiver);
    });
    test(`${numbering}: mediator stream split at every position`, () => {
      const stream = cat(fromMediator.map((m) => encode(m, numbering)!));
      expect(decodeEverySplit(numbering, "mediator", stream)).toEqual(fromMediator);
    });
  }

  test("the two numberings put the same messages on different opcodes", () => {
    expect([...encode({ type: "buzz", id: 5 }, "v1")!]).toEqual([0x04, 5]);
    expect([...encode({ type: "buzz", id: 5 }, "v2")!]).toEqual([0x03, 5]);
    expect([...encode({ type: "ping" }, "v1")!]).toEqual([0x02]);
    expect([...encode({ type: "ping" }, "v2")!]).toEqual([0x01]);
    expect([...encode({ type: "color", id: 1, rgb: [2, 3, 4] }, "v1")!]).toEqual([0x05, 1, 2, 3, 4]);
    expect([...encode({ type: "color", id: 1, rgb: [2, 3, 4] }, "v2")!]).toEqual([0x04, 1, 2, 3, 4]);
    expect([...encode({ type: "connected", id: 1 }, "v2")!]).toEqual([0x05, 1]);
    expect(encode({ type: "reset" }, "v1")).toEqual(new Uint8Array([0x01]));
    expect(encode({ type: "reset" }, "v2")).toBeNull(); // the renumbered firmware has no reset opcode
    expect([...encode({ type: "ready", version: 0 }, "v2")!]).toEqual([0x00, 0x42, 0x00]);
    expect([...encode({ type: "ack" }, "v2")!]).toEqual([0x13, 0x37]);
  });

  test("the original handshake bytes", () => {
    const d = new Decoder("v1", "receiver");
    expect(d.push(new Uint8Array([0x00, 0x42, 0x00, 0x02, 0x05, 0x06, 0x04, 0x05]))).toEqual([
      { type: "ready", version: 0 },
      { type: "list", ids: [5, 6] },
      { type: "buzz", id: 5 },
    ]);
  });

  test("unknown opcodes and a wrong handshake magic are reported as unknown", () => {
    const v1 = new Decoder("v1", "receiver");
    expect(v1.push(new Uint8Array([0x08]))).toEqual([{ type: "unknown", byte: 0x08 }]);
    expect(v1.push(new Uint8Array([0x05]))).toEqual([{ type: "unknown", byte: 0x05 }]); // colour is mediator → receiver only
    // The byte after a wrong magic is read afresh (41 is no opcode either).
    expect(v1.push(new Uint8Array([0x00, 0x41]))).toEqual([{ type: "unknown", byte: 0x00 }, { type: "unknown", byte: 0x41 }]);
    const v2 = new Decoder("v2", "receiver");
    expect(v2.push(new Uint8Array([0x07]))).toEqual([{ type: "unknown", byte: 0x07 }]);
    expect(v2.push(new Uint8Array([0x01]))).toEqual([{ type: "ping" }]); // 01 is ping, not reset, on v2
    const m = new Decoder("v1", "mediator");
    expect(m.push(new Uint8Array([0x13, 0x38]))).toEqual([{ type: "unknown", byte: 0x13 }, { type: "unknown", byte: 0x38 }]);
    expect(m.push(new Uint8Array([0x04]))).toEqual([{ type: "unknown", byte: 0x04 }]); // buzz is receiver → mediator only
  });

  test("reset() drops a partial message", () => {
    const d = new Decoder("v1", "receiver");
    expect(d.push(new Uint8Array([0x04]))).toEqual([]);
    d.reset();
    expect(d.push(new Uint8Array([0x02]))).toEqual([{ type: "ping" }]);
  });
});
