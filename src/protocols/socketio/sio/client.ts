// The Socket.IO side of one Engine.IO session (Socket.IO v5 "Client"): decodes packets with the
// official socket.io-parser, connects namespaces, routes EVENT/ACK/DISCONNECT to sockets, and
// rate-limits EVENT packets (the WebSocket seam does not: Engine.IO packets are not "messages").
import { Decoder, Encoder, PacketType, type Packet } from "socket.io-parser";
import { Close } from "../../../transport/close-codes.ts";
import { TokenBucket } from "../../../transport/rate.ts";
import type { EngineSession } from "../engine/session.ts";
import type { SioServer } from "./server.ts";
import { SioSocket } from "./socket.ts";

const encoder = new Encoder();

export class SioClient {
  /** Connected sockets by namespace name. */
  readonly sockets = new Map<string, SioSocket>();
  private readonly decoder = new Decoder();
  private readonly bucket: TokenBucket;
  private strikes = 0;
  private stopConnectTimer: (() => void) | null;

  constructor(readonly server: SioServer, readonly session: EngineSession) {
    const decoded: Packet[] = [];
    this.decoder.on("decoded", (p: Packet) => decoded.push(p));
    this.bucket = new TokenBucket(server.opts.rateLimit, server.opts.rateBurst, server.clock.mono());
    session.events = {
      message: (data) => {
        try {
          this.decoder.add(data);
        } catch {
          // Malformed Socket.IO packet: the reference closes the connection.
          this.server.log.debug("socket.io parse error", { sid: session.sid });
          return this.close();
        }
        // Handlers run outside the try: their errors are bugs, not parse errors.
        for (const p of decoded.splice(0)) this.onPacket(p);
      },
      upgraded: () => {
        for (const s of this.sockets.values()) s.nsp.rooms.upgraded(s);
      },
      closed: (reason) => this.onClosed(reason),
    };
    // A session that never joins a namespace is dropped (socket.io "connectTimeout").
    this.stopConnectTimer = server.clock.setTimer(server.opts.connectTimeoutMs, () => {
      if (this.sockets.size === 0) this.close();
    });
  }

  encode(p: Packet): Array<string | Uint8Array> {
    return encoder.encode(p);
  }

  sendPacket(p: Packet): void {
    this.sendEncoded(this.encode(p));
  }

  sendEncoded(frames: Array<string | Uint8Array>): void {
    for (const data of frames) this.session.send({ type: "message", data });
  }

  /** End the whole Engine.IO session (queued packets still reach a polling client). */
  close(wsCode: number = Close.normal): void {
    this.session.close(wsCode);
  }

  removeSocket(s: SioSocket): void {
    if (this.sockets.get(s.nsp.name) === s) this.sockets.delete(s.nsp.name);
  }

  private onPacket(p: Packet): void {
    if (p.type === PacketType.CONNECT) return this.connect(p.nsp, p.data);
    const socket = this.sockets.get(p.nsp);
    if (!socket) return; // not connected to that namespace: dropped, as the reference does
    switch (p.type) {
      case PacketType.EVENT:
      case PacketType.BINARY_EVENT:
        if (this.allow(socket, p)) socket.onEvent(p);
        break;
      case PacketType.ACK:
      case PacketType.BINARY_ACK:
        socket.onAck(p);
        break;
      case PacketType.DISCONNECT:
        // The Engine.IO session outlives its namespaces (the reference server keeps pinging it,
        // and the v5 protocol test suite expects that ping after "41").
        socket.closed("client namespace disconnect");
        break;
      default:
        break;
    }
  }

  private connect(name: string, auth: unknown): void {
    const nsp = this.server.namespace(name);
    if (!nsp) return this.sendPacket({ type: PacketType.CONNECT_ERROR, nsp: name, data: { message: "Invalid namespace" } });
    if (this.sockets.has(name)) return; // already connected: nothing to do
    const payload = (auth ?? {}) as Record<string, unknown>;
    const refusal = nsp.authorize(payload);
    if (refusal) return this.sendPacket({ type: PacketType.CONNECT_ERROR, nsp: name, data: refusal });
    this.stopConnectTimer?.();
    this.stopConnectTimer = null;
    const socket = new SioSocket(this.server.newSocketId(), nsp, this, payload);
    this.sockets.set(name, socket);
    this.sendPacket({ type: PacketType.CONNECT, nsp: name, data: { sid: socket.id } });
    nsp.add(socket);
  }

  /** Per-session rate limit on events: refusals get the application's reply; a flood ends the session. */
  private allow(socket: SioSocket, p: Packet): boolean {
    if (this.bucket.take(this.server.clock.mono())) {
      this.strikes = 0;
      return true;
    }
    this.server.counters.errors++;
    if (++this.strikes > this.server.opts.rateBurst) {
      // Common rules: the error reply, then close 1008 if it continues (on a WebSocket).
      this.server.log.debug("socket.io rate limit: closing", { sid: this.session.sid });
      this.close(Close.policy);
      return false;
    }
    const [event] = p.data as [string];
    const ack = p.id === undefined ? null : (...args: unknown[]) => this.sendPacket({ type: PacketType.ACK, nsp: socket.nsp.name, id: p.id, data: args });
    this.server.rateLimited(socket, event, ack);
    return false;
  }

  private onClosed(reason: string): void {
    this.stopConnectTimer?.();
    this.decoder.destroy();
    for (const s of [...this.sockets.values()]) s.closed(reason);
  }
}
