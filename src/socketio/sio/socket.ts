// One client's connection to one namespace (Socket.IO v5 "Socket"): events in and out, acks in
// both directions, rooms, and disconnection from either side. With connection state recovery a
// socket outlives its transport: it is away (not connected, may come back, its events kept)
// until its client comes back on a new session or the window ends (recovery.ts).
import { PacketType, type Packet } from "socket.io-parser";
import type { SioClient } from "./client.ts";
import type { Namespace } from "./namespace.ts";
import type { Recovery, SocketLog } from "./recovery.ts";

export type Ack = (...args: unknown[]) => void;
/** An event handler gets the event's arguments and, when the client asked for one, an ack. */
export type EventHandler = (args: unknown[], ack: Ack | null) => void;

const noRooms: ReadonlySet<string> = new Set();

export class SioSocket {
  connected = true;
  /** Gone for good: disconnected and not coming back. */
  ended = false;
  /** Came back after losing its transport, with its id and rooms (socket.io's `recovered`). */
  recovered = false;
  /** Set when its client can recover (Recovery.register): its pid and the packets it may lack. */
  log: SocketLog | null = null;
  // Maps, sets and lists are made on first use: most sockets of an idle server never use them.
  private roomSet: Set<string> | null = null;
  private dataSlot: Record<string, unknown> | null = null;
  private handlers: Map<string, EventHandler> | null = null;
  private unknown: ((event: string, args: unknown[], ack: Ack | null) => void) | null = null;
  private disconnectHandlers: Array<(reason: string) => void> | null = null;
  private acks: Map<number, Ack> | null = null;
  /**
   * Ack ids of server emits. Any id works for clients; starting at 1 matches the test suite's
   * variant with server-side acks ('421["emit-with-ack",…]' for the first one).
   */
  private nextAckId = 1;

  constructor(
    readonly id: string,
    readonly nsp: Namespace,
    /** The session it is on (while away, the one it lost; a new one when it comes back). */
    public client: SioClient,
    /** The CONNECT packet's payload (Socket.IO v5 "auth"). */
    readonly auth: Readonly<Record<string, unknown>>,
  ) {}

  /** The client's address (its Engine.IO session's handshake request; "" when unknown). */
  get ip(): string {
    return this.client.session.ip;
  }

  /** Lost its transport and may come back: emits to it are kept for then. */
  get away(): boolean {
    return !this.connected && !this.ended;
  }

  get recovery(): Recovery | null {
    return this.log ? this.client.server.recovery : null;
  }

  /** The rooms this socket is in. */
  get rooms(): ReadonlySet<string> {
    return this.roomSet ?? noRooms;
  }

  /** Free slot for the application (e.g. the relay's role). */
  get data(): Record<string, unknown> {
    return (this.dataSlot ??= {});
  }

  on(event: string, handler: EventHandler): this {
    (this.handlers ??= new Map()).set(event, handler);
    return this;
  }

  /** Called for an event no handler is registered for (an application's error reply). */
  onUnknown(fn: (event: string, args: unknown[], ack: Ack | null) => void): this {
    this.unknown = fn;
    return this;
  }

  onDisconnect(fn: (reason: string) => void): this {
    (this.disconnectHandlers ??= []).push(fn);
    return this;
  }

  /**
   * Emit an event; a function as the last argument asks the client for an ack. An event that asks
   * for an ack carries no offset and is not kept for recovery (as socket.io: the callback would
   * not survive), so a socket that is away does not get it.
   */
  emit(event: string, ...args: unknown[]): void {
    const last = args[args.length - 1];
    if (typeof last !== "function") return void this.out([event, ...args], false);
    if (!this.connected) return;
    const packet: Packet = { type: PacketType.EVENT, nsp: this.nsp.name, data: [event, ...args.slice(0, -1)], id: this.nextAckId++ };
    (this.acks ??= new Map()).set(packet.id!, last as Ack);
    this.client.sendPacket(packet);
  }

  /**
   * Emit from another connection's handler (a relay passing a command on): no ack, and over a
   * WebSocket the frame is posted (docs/architecture.md#the-websocket-seam). Returns its offset
   * when it is kept for recovery (0: not kept), for withdraw().
   */
  deliver(event: string, ...args: unknown[]): number {
    return this.out([event, ...args], true);
  }

  /** Take back an event delivered while this socket was away and not sent yet (recovery.ts): it never will be. */
  withdraw(offset: number): void {
    this.recovery?.withdraw(this, offset);
  }

  /** An EVENT without ack: with its offset and kept while the client may lack it, if it can recover. */
  private out(data: unknown[], posted: boolean): number {
    const recovery = this.recovery;
    if (!recovery) {
      if (this.connected) this.client.sendPacket({ type: PacketType.EVENT, nsp: this.nsp.name, data }, posted);
      return 0;
    }
    if (this.ended) return 0;
    const p = recovery.packet(this.nsp.name, data);
    recovery.record(this, p);
    if (this.connected) this.client.sendEncoded(p.frames, posted);
    return p.seq;
  }

  join(room: string): void {
    if (this.ended || this.rooms.has(room)) return;
    (this.roomSet ??= new Set()).add(room);
    this.nsp.rooms.join(this, room);
  }

  leave(room: string): void {
    if (!this.roomSet?.delete(room)) return;
    this.nsp.rooms.leave(this, room);
  }

  /** Everyone in the room but this socket. */
  to(room: string): { emit(event: string, ...args: unknown[]): void } {
    return { emit: (event, ...args) => this.nsp.rooms.broadcast(room, this, event, args) };
  }

  /**
   * Server-side disconnect: DISCONNECT to the client; `close` also ends the whole Engine.IO session.
   * A socket that is away just ends (it cannot come back).
   */
  disconnect(close = false): void {
    if (this.ended) return;
    const connected = this.connected;
    if (connected) this.client.sendPacket({ type: PacketType.DISCONNECT, nsp: this.nsp.name });
    this.closed("server namespace disconnect");
    if (close && connected) this.client.close();
  }

  // ---- called by SioClient ----

  onEvent(p: Packet): void {
    const [event, ...args] = p.data as [string, ...unknown[]];
    const ack = p.id === undefined ? null : this.ackFor(p.id);
    const handler = this.handlers?.get(event);
    if (handler) return handler(args, ack);
    const shared = this.nsp.handler(event);
    if (shared) shared(this, args, ack);
    else if (this.unknown) this.unknown(String(event), args, ack);
    else this.nsp.unknown?.(this, String(event), args, ack);
  }

  onAck(p: Packet): void {
    const fn = p.id === undefined ? undefined : this.acks?.get(p.id);
    if (!fn) return;
    this.acks!.delete(p.id!);
    fn(...((p.data as unknown[] | undefined) ?? [])); // `43<id>` without a payload: an ack with no arguments
  }

  /** Its session ended: away if its client can come back for it, else gone for good. */
  transportLost(reason: string): void {
    if (!this.connected) return;
    if (!this.recovery?.suspend(this, reason)) return this.closed(reason);
    this.connected = false;
    this.acks = null; // the client has dropped its side of them
    this.client.removeSocket(this);
    this.nsp.suspended(this, reason);
  }

  /** Back on a new session (recovery.ts): its rooms are subscribed on it; the client then sends what it missed. */
  resumed(client: SioClient): void {
    this.client = client;
    this.connected = true;
    this.recovered = true;
    this.acks = null; // a client that reconnects has dropped the acks it was waiting for
    this.nsp.rooms.upgraded(this);
  }

  /** Ends this socket once, for good, whichever side started it (or its recovery window ran out). */
  closed(reason: string): void {
    if (this.ended) return;
    this.connected = false;
    this.ended = true;
    for (const room of [...this.rooms]) this.leave(room);
    this.acks = null;
    this.client.removeSocket(this);
    this.nsp.remove(this);
    this.recovery?.release(this);
    for (const fn of this.disconnectHandlers ?? []) fn(reason);
    this.nsp.disconnected(this, reason);
  }

  private ackFor(id: number): Ack {
    let sent = false;
    const client = this.client;
    return (...args) => {
      // Answered once, and only on the session that asked (a client that came back has dropped it).
      if (sent || !this.connected || this.client !== client) return;
      sent = true;
      this.client.sendPacket({ type: PacketType.ACK, nsp: this.nsp.name, id, data: args });
    };
  }
}
