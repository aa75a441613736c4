// The Socket.IO side of one Engine.IO session (Socket.IO v5 "Client"): decodes packets with the
// official socket.io-parser, connects namespaces, routes EVENT/ACK/DISCONNECT to sockets, and
// answers a packet the session's full rate queue refused (the rate itself is the Engine.IO
// session's: engine/gate.ts, every packet on either transport).
import { Decoder, PacketType, type Packet } from "socket.io-parser";
import { Close } from "../../transport/close-codes.ts";
import type { EnginePacket, Frame } from "../engine/codec.ts";
import type { EngineSession, SessionEvents } from "../engine/session.ts";
import { encodePacket, type Frames } from "./codec.ts";
import type { Namespace } from "./namespace.ts";
import type { SioServer } from "./server.ts";
import type { LoggedPacket } from "./recovery.ts";
import { SioSocket } from "./socket.ts";

/**
 * Packets without binary attachments decode in one call and leave no state in a Decoder, so one
 * Decoder serves every session; a session gets its own only for a packet with attachments (its
 * parts arrive in several frames). Saves a Decoder and a listener per idle session.
 */
const decoded: Packet[] = [];
const sharedDecoder = new Decoder();
sharedDecoder.on("decoded", (p: Packet) => decoded.push(p));

/** BINARY_EVENT / BINARY_ACK: the header of a packet whose attachments follow (Socket.IO v5). */
const startsBinary = (data: string | Uint8Array): boolean => typeof data === "string" && (data[0] === "5" || data[0] === "6");

/** A plain EVENT's packet (no attachments), decoded on its own (null: not one). */
function eventOf(text: string): Packet | null {
  const d = new Decoder();
  let p: Packet | null = null;
  d.on("decoded", (x: Packet) => (p = x));
  try {
    d.add(text);
  } catch {
    return null;
  }
  const got = p as Packet | null;
  return got && got.type === PacketType.EVENT && Array.isArray(got.data) ? got : null;
}

/**
 * An EVENT without a payload (`42`): socket.io-parser checks a payload only when there is one, so
 * this one decodes, but an event needs its name; it is malformed like any other
 * (docs/socketio.md#namespaces-and-malformed-packets). Found by fuzzing: it reached the handlers.
 */
const nameless = (p: Packet): boolean => (p.type === PacketType.EVENT || p.type === PacketType.BINARY_EVENT) && !Array.isArray(p.data);

/** The auth of a CONNECT without a payload (most clients send none): one object for all of them. */
const noAuth: Readonly<Record<string, unknown>> = Object.freeze({});

export class SioClient implements SessionEvents {
  /**
   * Connected sockets: a session nearly always joins one namespace, so that one has a field of its
   * own and a Map by namespace name is made only for a second (an idle session then holds no Map).
   */
  private first: SioSocket | null = null;
  private more: Map<string, SioSocket> | null = null;
  private decoder: Decoder | null = null;
  private stopConnectTimer: (() => void) | null;
  /** Its sockets may recover: recovery is on and the client library reads offsets. */
  private readonly recoverable: boolean;
  /** The newest offset when the last ping went out: its pong confirms everything up to it. */
  private pingSeq = 0;
  /** CONNECTs waiting for their namespace's delay, by namespace (null: none, the usual case). */
  private waiting: Map<string, () => void> | null = null;

  constructor(readonly server: SioServer, readonly session: EngineSession) {
    session.events = this;
    // python-socketio hands an event's every argument to its handler: it gets no offsets.
    this.recoverable = server.recovery !== null && session.client !== "python-engineio";
    // A session that never joins a namespace is dropped (socket.io "connectTimeout").
    this.stopConnectTimer = server.clock.setTimer(server.opts.connectTimeoutMs, () => {
      if (!this.first && !this.more?.size) this.close();
    });
  }

  // ---- SessionEvents ----

  message(data: string | Uint8Array): void {
    try {
      if (!this.decoder && startsBinary(data)) this.decoder = this.ownDecoder();
      (this.decoder ?? sharedDecoder).add(data);
    } catch {
      decoded.length = 0;
      // Malformed Socket.IO packet: the reference closes the connection.
      this.server.log.debug("socket.io parse error", { sid: this.session.sid });
      return this.close();
    }
    const packets = decoded.splice(0);
    if (packets.some(nameless)) {
      this.server.log.debug("socket.io event without a name", { sid: this.session.sid });
      return this.close();
    }
    // Handlers run outside the try: their errors are bugs, not parse errors.
    for (const p of packets) this.onPacket(p);
  }

  upgraded(): void {
    for (const s of this.sockets()) s.nsp.rooms.upgraded(s);
  }

  closed(reason: string): void {
    this.stopConnectTimer?.();
    for (const cancel of this.waiting?.values() ?? []) cancel();
    this.waiting = null;
    this.decoder?.destroy();
    for (const s of this.sockets()) s.transportLost(reason);
  }

  pinging(): void {
    if (this.recoverable) this.pingSeq = this.server.recovery!.lastSeq;
  }

  ponged(): void {
    if (!this.recoverable) return;
    const recovery = this.server.recovery!;
    if (this.first) recovery.confirm(this.first, this.pingSeq);
    for (const s of this.more?.values() ?? []) recovery.confirm(s, this.pingSeq);
  }

  /**
   * The session's rate queue was full (docs/socketio.md#rate-limit): the application's reply to the
   * refused packet, then the session closes. An EVENT gets it on its socket (its ack too); any
   * other packet an `error`-like reply on each of the session's sockets (event "").
   */
  rateLimited(p: EnginePacket | Frame | null): void {
    this.server.log.debug("socket.io rate queue full: closing", { sid: this.session.sid });
    // A WebSocket frame comes as it arrived ("42[…]": Engine.IO message, Socket.IO EVENT).
    const text = typeof p === "string" ? (p[0] === "4" ? p.slice(1) : null) : p && !(p instanceof Uint8Array) && p.type === "message" && typeof p.data === "string" ? p.data : null;
    const refused = text !== null && text[0] === "2" ? eventOf(text) : null;
    const socket = refused && this.socket(refused.nsp);
    if (refused && socket) {
      const id = refused.id;
      const ack = id === undefined ? null : (...args: unknown[]) => this.sendPacket({ type: PacketType.ACK, nsp: socket.nsp.name, id, data: args });
      return this.server.rateLimited(socket, String((refused.data as unknown[])[0]), ack);
    }
    for (const s of this.sockets()) this.server.rateLimited(s, "", null);
  }

  private ownDecoder(): Decoder {
    const d = new Decoder();
    d.on("decoded", (p: Packet) => decoded.push(p));
    return d;
  }

  /** `posted`: from another connection's handler (see EngineSession.send). */
  sendPacket(p: Packet, posted = false): void {
    this.sendEncoded(encodePacket(p), posted);
  }

  sendEncoded(frames: Frames, posted = false): void {
    for (const data of frames) this.session.send({ type: "message", data }, posted);
  }

  /** End the whole Engine.IO session (queued packets still reach a polling client). */
  close(wsCode: number = Close.normal): void {
    this.session.close(wsCode);
  }

  removeSocket(s: SioSocket): void {
    if (this.first === s) this.first = null;
    else if (this.more?.get(s.nsp.name) === s) this.more.delete(s.nsp.name);
  }

  /** The connected sockets, as a copy (closing one while iterating is safe). */
  sockets(): SioSocket[] {
    const all = this.first ? [this.first] : [];
    if (this.more) all.push(...this.more.values());
    return all;
  }

  private socket(nsp: string): SioSocket | undefined {
    return this.first?.nsp.name === nsp ? this.first : this.more?.get(nsp);
  }

  private onPacket(p: Packet): void {
    if (p.type === PacketType.CONNECT) return this.connect(p.nsp, p.data);
    const socket = this.socket(p.nsp);
    if (!socket) return; // not connected to that namespace: dropped, as the reference does
    switch (p.type) {
      case PacketType.EVENT:
      case PacketType.BINARY_EVENT:
        socket.onEvent(p);
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
    // Already connected, or a CONNECT for it is waiting: nothing to do (a client that floods
    // CONNECTs while throttled gets one answer per wait, not one timer per packet).
    if (this.socket(name) || this.waiting?.has(name)) return;
    const wait = nsp.connectDelay?.(this.session) ?? 0;
    if (wait <= 0) return this.admit(nsp, name, auth);
    const cancel = this.server.clock.setTimer(wait, () => {
      this.waiting?.delete(name);
      if (this.session.state === "open") this.admit(nsp, name, auth);
    });
    (this.waiting ??= new Map()).set(name, cancel);
  }

  private admit(nsp: Namespace, name: string, auth: unknown): void {
    const payload = (auth ?? noAuth) as Readonly<Record<string, unknown>>;
    const recovery = this.recoverable ? this.server.recovery : null;
    // A client coming back with its pid and last offset (socket.io-client 4.6+). Its auth checks
    // are not run again (socket.io's default, skipMiddlewares): the pid is its credential.
    if (recovery && payload.pid !== undefined) {
      const back = recovery.restore(payload.pid, payload.offset, nsp);
      if (back) return this.resume(back.socket, back.missed);
    }
    const refusal = nsp.authorize(payload, this.session);
    if (refusal) return this.sendPacket({ type: PacketType.CONNECT_ERROR, nsp: name, data: refusal });
    this.stopConnectTimer?.();
    this.stopConnectTimer = null;
    const socket = new SioSocket(this.server.newSocketId(), nsp, this, payload);
    const pid = recovery?.register(socket);
    this.attach(socket);
    this.sendPacket({ type: PacketType.CONNECT, nsp: name, data: pid ? { sid: socket.id, pid } : { sid: socket.id } });
    nsp.add(socket);
  }

  /**
   * The socket is back: the CONNECT reply with its id and pid, then what it missed, in order,
   * before anything new. A socket still connected on another session (whose transport died
   * unnoticed) moves here; that session, left with no socket, is closed.
   */
  private resume(socket: SioSocket, missed: readonly LoggedPacket[]): void {
    this.stopConnectTimer?.();
    this.stopConnectTimer = null;
    const old = socket.connected ? socket.client : null;
    if (old) {
      socket.nsp.rooms.detach(socket);
      old.removeSocket(socket);
      if (old.sockets().length === 0) old.close();
    }
    this.attach(socket);
    socket.resumed(this);
    this.pingSeq = 0; // a pong to a ping sent before now confirms none of the packets sent again
    this.sendPacket({ type: PacketType.CONNECT, nsp: socket.nsp.name, data: { sid: socket.id, pid: socket.log!.pid } });
    for (const p of missed) this.sendEncoded(p.frames);
    socket.nsp.recovered(socket);
  }

  private attach(socket: SioSocket): void {
    if (!this.first) this.first = socket;
    else (this.more ??= new Map()).set(socket.nsp.name, socket);
  }
}
