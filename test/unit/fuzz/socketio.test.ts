// Fuzzing the Engine.IO/Socket.IO packet layer (docs/socketio.md#transports,
// #namespaces-and-malformed-packets): the Engine.IO codec never throws and round-trips packets
// over both transports; socket.io-parser round-trips every packet the server writes, and a
// packet without attachments leaves no state in a decoder (the shared decoder relies on it);
// and a session fed any frames or polling bodies never throws, writes only valid packets, closes
// only as the catalogue says, and still answers when it stays open.
import { describe, expect, test } from "bun:test";
import { Decoder, Encoder, PacketType, type Packet as SioPacket } from "socket.io-parser";
import { silentLogger } from "../../../src/log.ts";
import { decodeFrame, decodePollBody, encodeFrame, encodePollBody, type EnginePacket } from "../../../src/socketio/engine/codec.ts";
import { SioServer, type SioOptions } from "../../../src/socketio/sio/server.ts";
import { Close } from "../../../src/transport/close-codes.ts";
import { FakeClock, FakeLink } from "../socketio/fakes.ts";
import { anyText, check, checkAsync, fc, oddValue, textEdit, toJson } from "./fuzz.ts";

const ENGINE_TYPES = ["open", "close", "ping", "pong", "message", "upgrade", "noop"] as const;

// ---- Engine.IO codec ----
const text = fc.string({ unit: "binary", maxLength: 40 });
const bytes = fc.uint8Array({ maxLength: 40 });
const enginePacket: fc.Arbitrary<EnginePacket> = fc.oneof(
  fc.tuple(fc.constantFrom(...ENGINE_TYPES), fc.option(text, { nil: undefined })).map(([type, data]) => (data === undefined ? { type } : { type, data })),
  bytes.map((b): EnginePacket => ({ type: "message", data: Buffer.from(b) })),
);
/** Packets as decode gives them back: empty text data is no data. */
const asDecoded = (p: EnginePacket) => (p.data === undefined || p.data === "" ? { type: p.type } : { type: p.type, data: p.data });

describe("Engine.IO codec fuzz", () => {
  test("any frame or body: a packet (or error packet), never a throw", () => {
    check("engine decode", fc.oneof(anyText, bytes), (f) => {
      const p = decodeFrame(f);
      expect([...ENGINE_TYPES, "error"]).toContain(p.type);
      if (typeof f === "string") {
        const body = decodePollBody(f);
        if (body !== null) for (const q of body) expect(ENGINE_TYPES).toContain(q.type as never);
      }
    }, { runs: 1500 });
  });

  test("WebSocket frames and polling bodies round-trip", () => {
    check("engine frame round trip", enginePacket, (p) => {
      expect(decodeFrame(encodeFrame(p))).toEqual(asDecoded(p) as EnginePacket);
    }, { runs: 1000 });
    // The record separator \x1e cannot be escaped; text the server writes never holds it (JSON escapes it).
    const noSeparator = enginePacket.filter((p) => typeof p.data !== "string" || !p.data.includes("\x1e"));
    check("engine poll round trip", fc.array(noSeparator, { minLength: 1, maxLength: 6 }), (ps) => {
      expect(decodePollBody(encodePollBody(ps))).toEqual(ps.map(asDecoded) as EnginePacket[]);
    }, { runs: 1000 });
  });
});

// ---- socket.io-parser, as the Socket.IO layer uses it ----
const nsp = fc.constantFrom("/", "/admin", "/a-b_c");
const json = fc.jsonValue({ maxDepth: 2 });
const sioPacket: fc.Arbitrary<SioPacket> = fc.oneof(
  fc.tuple(nsp, fc.option(fc.dictionary(fc.string(), json), { nil: undefined })).map(([n, d]) => ({ type: PacketType.CONNECT, nsp: n, ...(d ? { data: d } : {}) })),
  nsp.map((n) => ({ type: PacketType.DISCONNECT, nsp: n })),
  fc.tuple(nsp, fc.string({ minLength: 1 }).filter((e) => !["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"].includes(e)), fc.array(json, { maxLength: 3 }), fc.option(fc.nat(), { nil: undefined })).map(([n, ev, args, id]) => ({ type: PacketType.EVENT, nsp: n, data: [ev, ...args], ...(id === undefined ? {} : { id }) })),
  fc.tuple(nsp, fc.array(json, { maxLength: 3 }), fc.nat()).map(([n, args, id]) => ({ type: PacketType.ACK, nsp: n, data: args, id })),
  fc.tuple(nsp, fc.record({ message: fc.string() })).map(([n, d]) => ({ type: PacketType.CONNECT_ERROR, nsp: n, data: d })),
);
const encoder = new Encoder();
const decodeAll = (frames: Array<string | Uint8Array>): SioPacket[] => {
  const out: SioPacket[] = [];
  const d = new Decoder();
  d.on("decoded", (p: SioPacket) => out.push(p));
  for (const f of frames) d.add(f);
  return out;
};
const wire = (v: unknown) => JSON.parse(JSON.stringify(v));

describe("Socket.IO packet fuzz", () => {
  test("every packet the server writes round-trips, and its text never holds the polling separator", () => {
    check("sio round trip", sioPacket, (p) => {
      const frames = encoder.encode(p);
      for (const f of frames) if (typeof f === "string") expect(f.includes("\x1e")).toBe(false);
      expect(decodeAll(frames)).toEqual([wire(p)]);
    }, { runs: 1000 });
  });

  test("a text packet without attachments leaves no state in a decoder, whether it decodes or throws", () => {
    const junk = fc.oneof(anyText, fc.constantFrom("2", "4", "7", "0/x", "2[]", '2["connect"]', "3", "21[", "0{]"));
    check("sio decoder state", junk.filter((s) => s[0] !== "5" && s[0] !== "6"), (s) => {
      const d = new Decoder();
      const got: SioPacket[] = [];
      d.on("decoded", (p: SioPacket) => got.push(p));
      try {
        d.add(s);
      } catch {}
      got.length = 0;
      d.add('2["after",1]');
      expect(got).toEqual([{ type: PacketType.EVENT, nsp: "/", data: ["after", 1] }]);
    }, { runs: 1000 });
  });
});

// ---- a session fed arbitrary traffic ----
const opts: SioOptions = {
  pingIntervalMs: 10_000, pingTimeoutMs: 5_000, maxPayload: 10_000, upgradeTimeoutMs: 1_000, closeTimeoutMs: 1_000,
  maxBufferedPackets: 1_000, connectTimeoutMs: 3_000, corsOrigin: ["*"], rate: { rate: 1000, burst: 1000, queueMessages: 5000, queueBytes: 4 << 20 },
};
function server() {
  const clock = new FakeClock();
  const io = new SioServer(clock, { publish: () => {} }, opts, { framesIn: 0, framesOut: 0, errors: 0 }, silentLogger);
  io.of("/").on("echo", (socket, args, ack) => (ack ? ack(...args) : socket.emit("echo", ...args)));
  io.of("/admin");
  return { clock, io };
}
/** Client frames from the grammar (Engine.IO type, then a Socket.IO packet), near-valid, and junk. */
const sioText = sioPacket.map((p) => encoder.encode(p)[0] as string);
const clientFrame = fc.oneof(
  { weight: 3, arbitrary: sioText.map((s) => `4${s}`) },
  { weight: 1, arbitrary: fc.constantFrom("3", "1", "2", "5", "6", "40", "41", '42["echo",1]', "42", "4", "451-[\"echo\",{\"_placeholder\":true,\"num\":0}]") },
  { weight: 2, arbitrary: sioText.chain((s) => textEdit(`4${s}`)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("42", "43", "40", "42/admin,"), oddValue).map(([h, v]) => h + toJson(v)) },
  { weight: 1, arbitrary: anyText },
  { weight: 1, arbitrary: bytes },
);
/** Everything a link received decodes as Engine.IO, and its messages as Socket.IO. */
function validOutput(frames: Array<string | Uint8Array>): void {
  for (const f of frames) {
    const p = decodeFrame(f);
    expect(p.type).not.toBe("error");
    if (p.type === "message" && typeof p.data === "string") expect(() => new Decoder().add(p.data as string)).not.toThrow();
  }
}
/** The session still works: an event with an ack is answered. */
function answers(send: (f: string) => void, take: () => Array<string | Uint8Array>): void {
  send("40");
  send('421234["echo","still here"]');
  expect(take().filter((f) => typeof f === "string")).toContain('431234["still here"]');
}

describe("Socket.IO session fuzz", () => {
  test("a WebSocket session fed any frames: no throw, valid output, documented closes, alive if open", () => {
    check("sio websocket session", fc.array(clientFrame, { minLength: 1, maxLength: 10 }), (frames) => {
      const { io } = server();
      const link = new FakeLink();
      const session = io.engine.wsOpened(link, { kind: "new" })!;
      for (const f of frames) session.wsFrame(link, f);
      validOutput(link.sent);
      if (link.closed) expect([Close.normal, Close.policy] as number[]).toContain(link.closed.code);
      // A binary event waiting for its attachment would take the next text frame as an error.
      else if (!frames.some((f) => typeof f === "string" && /^4[56]/.test(f))) answers((f) => session.wsFrame(link, f), () => link.take());
    }, { runs: 800, ms: 800 });
  });

  test("a polling session fed any bodies: no throw, valid answers, alive unless refused", async () => {
    const body = fc.array(fc.oneof(clientFrame.filter((f): f is string => typeof f === "string"), anyText), { minLength: 1, maxLength: 4 }).map((fs) => fs.join("\x1e"));
    await checkAsync("sio polling session", fc.array(body, { minLength: 1, maxLength: 4 }), async (bodies) => {
      const { io } = server();
      const q = new URLSearchParams("EIO=4&transport=polling");
      const open = await (await io.engine.http(new Request("http://127.0.0.1/socket.io/?EIO=4&transport=polling"), q, () => {})).text();
      expect(open.startsWith("0{")).toBe(true);
      const session = [...io.engine.sessions.values()][0]!;
      const out: string[] = [];
      for (const b of bodies) if (session.state === "open") session.post(b);
      session.poll((text) => out.push(text));
      await new Promise<void>((r) => queueMicrotask(r));
      for (const reply of out) for (const p of decodePollBody(reply) ?? []) expect(p.type).not.toBe("error");
    }, { runs: 300, ms: 800 });
  });
});
