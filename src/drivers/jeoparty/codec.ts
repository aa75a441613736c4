// The buzzer receiver's serial byte protocol (docs/buzzer.md#byte-protocol), as a pure streaming decoder and
// an encoder. No framing on the wire: one opcode byte, then a payload whose length the opcode
// fixes. Reads may split a message anywhere or carry several, so the decoder keeps the partial
// message between push() calls. Three firmware numberings are supported (docs/buzzer.md#firmware-versions):
// "v1" the original, "v2" renumbered, "head" the firmware as last committed, which renumbered its
// control opcodes but still writes the v1 event bytes. The two directions have different opcode
// sets, so one byte may mean one thing from the receiver and another from the mediator.

export type Numbering = "v1" | "v2" | "head";
/** Who sent the bytes being decoded. */
export type Sender = "receiver" | "mediator";
export type Rgb = [number, number, number];

export type Msg =
  | { type: "ready"; version: number } // 00 42 VV: the receiver (re)booted
  | { type: "list"; ids: number[] } // N id…: the buzzers connected now, sent after the 13 37 ack
  | { type: "ack" } // 13 37: the mediator's answer to ready
  | { type: "reset" }
  | { type: "ping" }
  | { type: "pong" }
  | { type: "buzz"; id: number }
  | { type: "connected"; id: number }
  | { type: "disconnected"; id: number }
  | { type: "color"; id: number; rgb: Rgb }
  /** A byte that cannot start a message here, or a handshake with the wrong magic byte. */
  | { type: "unknown"; byte: number };

type Op = "reset" | "ping" | "pong" | "buzz" | "color" | "connected" | "disconnected";
const OPCODES: Record<Numbering, Partial<Record<Op, number>>> = {
  // the original firmware; v2 renumbered and has no reset opcode
  v1: { reset: 0x01, ping: 0x02, pong: 0x03, buzz: 0x04, color: 0x05, connected: 0x06, disconnected: 0x07 },
  v2: { ping: 0x01, pong: 0x02, buzz: 0x03, color: 0x04, connected: 0x05, disconnected: 0x06 },
  // v2's ping, pong and colour (what that firmware reads), v1's buzz, connected and
  // disconnected (the literal bytes its loop writes). buzz and colour share 04: one is only
  // sent by the receiver, the other only by the mediator.
  head: { ping: 0x01, pong: 0x02, buzz: 0x04, color: 0x04, connected: 0x06, disconnected: 0x07 },
};
const SENT_BY: Record<Op, Sender | "both"> = {
  reset: "both", ping: "both", pong: "both", buzz: "receiver", connected: "receiver", disconnected: "receiver", color: "mediator",
};
const PAYLOAD: Record<Op, number> = { reset: 0, ping: 0, pong: 0, buzz: 1, connected: 1, disconnected: 1, color: 4 };

export const READY = 0x00;
export const READY_MAGIC = 0x42;
export const ACK = [0x13, 0x37] as const;

type Pending =
  | { kind: "op"; op: Op; need: number; got: number[] }
  | { kind: "ready"; got: number[] }
  | { kind: "ack" }
  | { kind: "count" }
  | { kind: "zero" } // a count of 0, or the 00 of a repeated hello: the next byte tells
  | { kind: "ids"; need: number; got: number[] };

export class Decoder {
  private readonly byOpcode = new Map<number, Op>();
  private pending: Pending | null = null;

  constructor(readonly numbering: Numbering, readonly from: Sender) {
    for (const [op, code] of Object.entries(OPCODES[numbering]) as [Op, number][]) {
      if (SENT_BY[op] === "both" || SENT_BY[op] === from) this.byOpcode.set(code, op);
    }
  }

  /** Forget any partial message (after a link reset). */
  reset(): void {
    this.pending = null;
  }

  /** Feed bytes as they arrive; returns every message they complete, in order. */
  push(bytes: Uint8Array): Msg[] {
    const out: Msg[] = [];
    for (const b of bytes) {
      if (this.pending?.kind === "zero") {
        this.pending = null;
        // 00 42 after a hello is the hello again (a receiver that greeted twice, e.g. once on
        // its own and once more for a reset): 42 is no opcode, so it cannot follow a count of 0.
        if (b === READY_MAGIC) {
          this.pending = { kind: "ready", got: [b] };
          continue;
        }
        out.push({ type: "list", ids: [] });
      }
      const p = this.pending;
      if ((p?.kind === "ready" && p.got.length === 0 && b !== READY_MAGIC) || (p?.kind === "ack" && b !== ACK[1])) {
        // Not the handshake's second byte: the 00 (13) alone was a byte that starts no message,
        // and this byte is read afresh. Swallowing it lost a hello right behind a stray 00, which
        // is what a receiver's line often carries as it resets (docs/buzzer.md#link-choices).
        this.pending = null;
        out.push({ type: "unknown", byte: p.kind === "ready" ? READY : ACK[0] });
      }
      const m = this.step(b);
      if (m) out.push(m);
    }
    return out;
  }

  /** Whether a count of 0 is waiting for the next byte (or for flush()) to be told from a hello. */
  get holdingZero(): boolean {
    return this.pending?.kind === "zero";
  }

  /** No byte followed the count of 0: it was an empty buzzer list. */
  flush(): Msg[] {
    if (this.pending?.kind !== "zero") return [];
    this.pending = null;
    return [{ type: "list", ids: [] }];
  }

  private step(b: number): Msg | null {
    const p = this.pending;
    if (!p) return this.start(b);
    switch (p.kind) {
      case "op":
        p.got.push(b);
        if (p.got.length < p.need) return null;
        this.pending = null;
        return build(p.op, p.got);
      case "ready":
        p.got.push(b); // the magic byte was checked in push()
        if (p.got.length < 2) return null;
        // After ready the receiver waits for the ack, then sends the count and the ids.
        this.pending = { kind: "count" };
        return { type: "ready", version: b };
      case "ack":
        this.pending = null; // the second byte was checked in push()
        return { type: "ack" };
      case "count":
        if (b === 0) {
          this.pending = { kind: "zero" };
          return null;
        }
        this.pending = { kind: "ids", need: b, got: [] };
        return null;
      case "zero":
        return null; // handled in push()
      case "ids":
        p.got.push(b);
        if (p.got.length < p.need) return null;
        this.pending = null;
        return { type: "list", ids: p.got };
    }
  }

  private start(b: number): Msg | null {
    if (b === READY && this.from === "receiver") {
      this.pending = { kind: "ready", got: [] };
      return null;
    }
    if (b === ACK[0] && this.from === "mediator") {
      this.pending = { kind: "ack" };
      return null;
    }
    const op = this.byOpcode.get(b);
    if (!op) return { type: "unknown", byte: b };
    if (PAYLOAD[op] === 0) return build(op, []);
    this.pending = { kind: "op", op, need: PAYLOAD[op], got: [] };
    return null;
  }
}

function build(op: Op, p: number[]): Msg {
  const id = p[0] ?? 0;
  switch (op) {
    case "buzz":
    case "connected":
    case "disconnected":
      return { type: op, id };
    case "color":
      return { type: "color", id, rgb: [p[1] ?? 0, p[2] ?? 0, p[3] ?? 0] };
    default:
      return { type: op };
  }
}

/** The bytes for one message, or null when this numbering has no such opcode (v2 and head: reset). */
export function encode(msg: Exclude<Msg, { type: "unknown" }>, numbering: Numbering): Uint8Array | null {
  switch (msg.type) {
    case "ready":
      return new Uint8Array([READY, READY_MAGIC, msg.version & 0xff]);
    case "ack":
      return new Uint8Array(ACK);
    case "list":
      return new Uint8Array([msg.ids.length, ...msg.ids]);
  }
  const code = OPCODES[numbering][msg.type];
  if (code === undefined) return null;
  switch (msg.type) {
    case "buzz":
    case "connected":
    case "disconnected":
      return new Uint8Array([code, msg.id & 0xff]);
    case "color":
      return new Uint8Array([code, msg.id & 0xff, ...msg.rgb.map((c) => c & 0xff)]);
    default:
      return new Uint8Array([code]);
  }
}
