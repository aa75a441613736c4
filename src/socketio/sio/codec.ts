// Socket.IO v5 packets to Engine.IO message payloads, with the official socket.io-parser: one
// encoder for the whole layer (it keeps no state between packets).
import { Encoder, type Packet } from "socket.io-parser";

/** What one packet becomes: one text frame, or a header and its binary attachments. */
export type Frames = ReadonlyArray<string | Uint8Array>;

const encoder = new Encoder();

export function encodePacket(p: Packet): Array<string | Uint8Array> {
  return encoder.encode(p);
}
