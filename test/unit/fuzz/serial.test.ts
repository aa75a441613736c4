// Fuzzing the byte decoders of the buzzer pools: the receiver's serial protocol
// (docs/buzzer.md#byte-protocol, #link-choices) and keyboard input_event records
// (docs/buzzer.md#keyboard-pools). Reads may split the stream anywhere, so the decoders must give
// the same messages for any chunking; every byte is read once (a byte that cannot start a message
// is one unknown byte, and the next byte is read afresh); encode → decode gives back the messages.
import { describe, expect, test } from "bun:test";
import { Decoder, encode, type Msg, type Numbering, type Sender } from "../../../src/drivers/jeoparty/codec.ts";
import { EV_KEY, EvdevDecoder, INPUT_EVENT_SIZE, inputEvent } from "../../../src/drivers/keyboard/evdev.ts";
import { check, fc, splitAt } from "./fuzz.ts";

type Sendable = Exclude<Msg, { type: "unknown" }>;

// The opcode tables of docs/buzzer.md#byte-protocol, #renumbered-firmware and #head-firmware, per direction.
const OPS: Record<Numbering, Record<Sender, Record<number, [Msg["type"], number]>>> = {
  v1: {
    receiver: { 1: ["reset", 0], 2: ["ping", 0], 3: ["pong", 0], 4: ["buzz", 1], 6: ["connected", 1], 7: ["disconnected", 1] },
    mediator: { 1: ["reset", 0], 2: ["ping", 0], 3: ["pong", 0], 5: ["color", 4] },
  },
  v2: {
    receiver: { 1: ["ping", 0], 2: ["pong", 0], 3: ["buzz", 1], 5: ["connected", 1], 6: ["disconnected", 1] },
    mediator: { 1: ["ping", 0], 2: ["pong", 0], 4: ["color", 4] },
  },
  // docs/buzzer.md#head-firmware: v2's control opcodes, v1's event bytes.
  head: {
    receiver: { 1: ["ping", 0], 2: ["pong", 0], 4: ["buzz", 1], 6: ["connected", 1], 7: ["disconnected", 1] },
    mediator: { 1: ["ping", 0], 2: ["pong", 0], 4: ["color", 4] },
  },
};

/**
 * The documented grammar, read over a whole stream at once: the reference the streaming decoder
 * must agree with. `00 42 VV` (receiver) and `13 37` (mediator) are the handshake; after a hello
 * the receiver's next byte is the buzzer count N, then N ids; a count of 0 followed by `42 VV` is
 * the hello again. A byte that starts no message is one unknown byte.
 */
function reference(bytes: Uint8Array, numbering: Numbering, from: Sender): Msg[] {
  const out: Msg[] = [];
  const n = bytes.length;
  let count = false; // the next byte is a buzzer count
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (count) {
      if (b === 0 && bytes[i + 1] === 0x42) {
        if (i + 2 >= n) break; // a hello still arriving
        out.push({ type: "ready", version: bytes[i + 2]! });
        i += 3;
        continue;
      }
      if (b === 0) {
        out.push({ type: "list", ids: [] }); // also at the end of the stream (the decoder's flush)
        count = false;
        i += 1;
        continue;
      }
      if (i + b >= n) break;
      out.push({ type: "list", ids: [...bytes.subarray(i + 1, i + 1 + b)] });
      count = false;
      i += 1 + b;
      continue;
    }
    const handshake = from === "receiver" ? 0x00 : 0x13;
    if (b === handshake) {
      if (i + 1 >= n) break;
      if (bytes[i + 1] !== (from === "receiver" ? 0x42 : 0x37)) {
        out.push({ type: "unknown", byte: b });
        i += 1;
        continue;
      }
      if (from === "mediator") {
        out.push({ type: "ack" });
        i += 2;
        continue;
      }
      if (i + 2 >= n) break;
      out.push({ type: "ready", version: bytes[i + 2]! });
      count = true;
      i += 3;
      continue;
    }
    const op = OPS[numbering][from][b];
    if (!op) {
      out.push({ type: "unknown", byte: b });
      i += 1;
      continue;
    }
    const [type, size] = op;
    if (i + size >= n) break;
    const p = [...bytes.subarray(i + 1, i + 1 + size)];
    out.push((type === "color" ? { type, id: p[0], rgb: p.slice(1) } : size ? { type, id: p[0] } : { type }) as Msg);
    i += 1 + size;
  }
  return out;
}

const decodeChunks = (chunks: Uint8Array[], numbering: Numbering, from: Sender): Msg[] => {
  const d = new Decoder(numbering, from);
  return [...chunks.flatMap((c) => d.push(c)), ...d.flush()];
};

const numbering = fc.constantFrom<Numbering>("v1", "v2");
const sender = fc.constantFrom<Sender>("receiver", "mediator");
/** Bytes weighted towards the protocol's own: opcodes, the handshake bytes, small counts. */
const protoByte = fc.oneof(fc.integer({ min: 0, max: 7 }), fc.constantFrom(0x00, 0x42, 0x13, 0x37), fc.integer({ min: 0, max: 255 }));
const byteStream = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.array(protoByte, { maxLength: 64 }).map((a) => new Uint8Array(a)));

// ---- valid streams, as each side sends them ----
const id = fc.integer({ min: 0, max: 255 });
const hello = fc.tuple(id, fc.array(id, { maxLength: 12 })).map(([version, ids]): Sendable[] => [{ type: "ready", version }, { type: "list", ids }]);
const receiverEvent = (v: Numbering) =>
  fc.oneof(
    id.map((i): Sendable[] => [{ type: "buzz", id: i }]),
    id.map((i): Sendable[] => [{ type: "connected", id: i }]),
    id.map((i): Sendable[] => [{ type: "disconnected", id: i }]),
    fc.constantFrom<Sendable[]>([{ type: "ping" }], [{ type: "pong" }], ...(v === "v1" ? [[{ type: "reset" } as Sendable]] : [])),
  );
const mediatorMsg = (v: Numbering) =>
  fc.oneof(
    fc.constant<Sendable>({ type: "ack" }),
    fc.tuple(id, id, id, id).map(([i, r, g, b]): Sendable => ({ type: "color", id: i, rgb: [r, g, b] })),
    fc.constantFrom<Sendable>({ type: "ping" }, { type: "pong" }, ...(v === "v1" ? [{ type: "reset" } as Sendable] : [])),
  );
const stream = (v: Numbering, from: Sender): fc.Arbitrary<Sendable[]> =>
  from === "receiver"
    ? fc.array(fc.oneof(hello, receiverEvent(v), receiverEvent(v)), { maxLength: 12 }).map((segments) => segments.flat())
    : fc.array(mediatorMsg(v), { maxLength: 12 });
const bytesOf = (msgs: Sendable[], v: Numbering) => new Uint8Array(msgs.flatMap((m) => [...encode(m, v)!]));

describe("serial byte protocol fuzz (buzzer receiver)", () => {
  test("any bytes: the decoder reads the documented grammar, every byte once, and never throws", () => {
    check("serial reference", fc.tuple(numbering, sender, byteStream), ([v, from, bytes]) => {
      expect(decodeChunks([bytes], v, from)).toEqual(reference(bytes, v, from));
    }, { runs: 2000 });
  });

  test("any chunking of a byte stream gives the same messages as one chunk", () => {
    check("serial chunking", fc.tuple(numbering, sender, byteStream, fc.array(fc.nat(), { maxLength: 10 })), ([v, from, bytes, cuts]) => {
      expect(decodeChunks(splitAt(bytes, cuts), v, from)).toEqual(decodeChunks([bytes], v, from));
    }, { runs: 2000 });
    // One byte per read, the worst case of a slow port.
    check("serial byte by byte", fc.tuple(numbering, sender, byteStream), ([v, from, bytes]) => {
      expect(decodeChunks([...bytes].map((b) => new Uint8Array([b])), v, from)).toEqual(decodeChunks([bytes], v, from));
    });
  });

  test("valid streams of either side survive encode → decode, split anywhere", () => {
    const arb = fc.tuple(numbering, sender).chain(([v, from]) => fc.tuple(fc.constant(v), fc.constant(from), stream(v, from), fc.array(fc.nat(), { maxLength: 6 })));
    check("serial round trip", arb, ([v, from, msgs, cuts]) => {
      expect(decodeChunks(splitAt(bytesOf(msgs, v), cuts), v, from)).toEqual(msgs);
    }, { runs: 1500 });
  });

  test("a valid receiver stream after boot noise is read in full once the noise has ended", () => {
    // Noise that leaves nothing pending: bytes that start no message of this numbering.
    const noStart = (v: Numbering) => fc.integer({ min: 0, max: 255 }).filter((b) => b === 0 || (b !== 0x42 && !OPS[v].receiver[b] && b > 7));
    const arb = numbering.chain((v) => fc.tuple(fc.constant(v), fc.array(noStart(v), { maxLength: 4 }), stream(v, "receiver")));
    check("serial noise then stream", arb, ([v, noise, msgs]) => {
      const got = decodeChunks([new Uint8Array(noise), bytesOf(msgs, v)], v, "receiver");
      expect(got.filter((m) => m.type !== "unknown")).toEqual(msgs);
    });
  });
});

// ---- keyboard pools: 24-byte input_event records ----
const record = fc.record({
  type: fc.oneof(fc.constant(EV_KEY), fc.integer({ min: 0, max: 0xffff })),
  code: fc.integer({ min: 0, max: 0xffff }),
  value: fc.oneof(fc.constantFrom(0, 1, 2), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
  sec: fc.nat(),
  usec: fc.nat({ max: 999999 }),
});

describe("evdev record fuzz (keyboard pools)", () => {
  test("records split anywhere: every key-down once, code & 0xff, nothing else", () => {
    check("evdev split", fc.tuple(fc.array(record, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 12 })), ([recs, cuts]) => {
      const bytes = new Uint8Array(recs.flatMap((r) => [...inputEvent(r.type, r.code, r.value, r.sec, r.usec)]));
      const d = new EvdevDecoder();
      const got = splitAt(bytes, cuts).flatMap((c) => d.push(c));
      expect(got).toEqual(recs.filter((r) => r.type === EV_KEY && r.value === 1).map((r) => r.code & 0xff));
    }, { runs: 1000 });
  });

  test("any bytes: never throws, ids are bytes, a trailing partial record waits for the rest", () => {
    check("evdev any bytes", fc.tuple(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(), { maxLength: 8 })), ([bytes, cuts]) => {
      const d = new EvdevDecoder();
      const got = splitAt(bytes, cuts).flatMap((c) => d.push(c));
      for (const k of got) expect(k >= 0 && k <= 255).toBe(true);
      expect(got.length).toBeLessThanOrEqual(Math.floor(bytes.length / INPUT_EVENT_SIZE));
      expect(got).toEqual(new EvdevDecoder().push(bytes));
    });
  });
});
