// Engine.IO v4 packet codec: a thin, synchronous face over the official engine.io-parser.
// Pure: text/bytes in, typed packets or error values out.
import { decodePacket, decodePayload, encodePacket, encodePayload, type Packet } from "engine.io-parser";

export type EnginePacket = Packet;
export type Frame = string | Uint8Array;

/** Engine.IO server error catalog (engine.io-protocol v4, "Errors"); sent as a 400 JSON body. */
export const EngineError = {
  unknownTransport: { code: 0, message: "Transport unknown" },
  unknownSid: { code: 1, message: "Session ID unknown" },
  badHandshakeMethod: { code: 2, message: "Bad handshake method" },
  badRequest: { code: 3, message: "Bad request" },
  forbidden: { code: 4, message: "Forbidden" },
  unsupportedProtocol: { code: 5, message: "Unsupported protocol version" },
} as const;
export type EngineErrorValue = (typeof EngineError)[keyof typeof EngineError];

/**
 * Why a session ended: the reasons the reference server reports (engine.io "close" event), plus
 * ours for a payload over maxPayload, a handler bug and shutdown. Socket.IO passes them on to
 * `disconnect` handlers.
 */
export const EngineClose = {
  transportClose: "transport close",
  transportError: "transport error",
  parseError: "parse error",
  pingTimeout: "ping timeout",
  forced: "forced close",
  backpressure: "backpressure",
  tooLarge: "payload too large",
  internal: "internal error",
  shutdown: "server shutting down",
} as const;
export type EngineCloseReason = (typeof EngineClose)[keyof typeof EngineClose];

/** WebSocket: one packet per frame; binary data goes out as a binary frame without a type prefix. */
export function encodeFrame(p: Packet): Frame {
  let out: Frame = "";
  encodePacket(p, true, (encoded: Frame) => (out = encoded)); // the Node build calls back synchronously
  return out;
}

/** HTTP long-polling: packets joined by the record separator \x1e, binary as "b"+base64 (§ "Packet encoding"). */
export function encodePollBody(packets: readonly Packet[]): string {
  let out = "";
  encodePayload(packets as Packet[], (encoded: string) => (out = encoded)); // it only reads the array
  return out;
}

/** One WebSocket frame → one packet; an unparseable frame is an "error" packet (a value, not a throw). */
export function decodeFrame(data: Frame): Packet {
  return decodePacket(typeof data === "string" ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength), "nodebuffer");
}

/** A POST body → its packets, or null when any packet is malformed. */
export function decodePollBody(body: string): Packet[] | null {
  if (body.length === 0) return null;
  const packets = decodePayload(body, "nodebuffer");
  return packets.some((p) => p.type === "error") ? null : packets;
}
