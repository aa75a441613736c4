// One client's connection to one namespace (Socket.IO v5 "Socket"): events in and out, acks in
// both directions, rooms, and disconnection from either side.
import { PacketType, type Packet } from "socket.io-parser";
import type { SioClient } from "./client.ts";
import type { Namespace } from "./namespace.ts";

export type Ack = (...args: unknown[]) => void;
/** An event handler gets the event's arguments and, when the client asked for one, an ack. */
export type EventHandler = (args: unknown[], ack: Ack | null) => void;

const noRooms: ReadonlySet<string> = new Set();

export class SioSocket {
  connected = true;
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
    readonly client: SioClient,
    /** The CONNECT packet's payload (Socket.IO v5 "auth"). */
    readonly auth: Readonly<Record<string, unknown>>,
  ) {}

  /** The client's address (its Engine.IO session's handshake request; "" when unknown). */
  get ip(): string {
    return this.client.session.ip;
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

  /** Emit an event; a function as the last argument asks the client for an ack. */
  emit(event: string, ...args: unknown[]): void {
    if (!this.connected) return;
    const packet: Packet = { type: PacketType.EVENT, nsp: this.nsp.name, data: [event, ...args] };
    const last = args[args.length - 1];
    if (typeof last === "function") {
      packet.data = [event, ...args.slice(0, -1)];
      packet.id = this.nextAckId++;
      (this.acks ??= new Map()).set(packet.id, last as Ack);
    }
    this.client.sendPacket(packet);
  }

  /**
   * Emit from another connection's handler (a relay passing a command on): no ack, and over a
   * WebSocket the frame is posted (docs/architecture.md#the-websocket-seam).
   */
  deliver(event: string, ...args: unknown[]): void {
    if (this.connected) this.client.sendPacket({ type: PacketType.EVENT, nsp: this.nsp.name, data: [event, ...args] }, true);
  }

  join(room: string): void {
    if (!this.connected || this.rooms.has(room)) return;
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

  /** Server-side disconnect: DISCONNECT to the client; `close` also ends the whole Engine.IO session. */
  disconnect(close = false): void {
    if (!this.connected) return;
    this.client.sendPacket({ type: PacketType.DISCONNECT, nsp: this.nsp.name });
    this.closed("server namespace disconnect");
    if (close) this.client.close();
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

  /** Ends this socket once, whichever side started it. */
  closed(reason: string): void {
    if (!this.connected) return;
    this.connected = false;
    for (const room of [...this.rooms]) this.leave(room);
    this.acks = null;
    this.client.removeSocket(this);
    this.nsp.remove(this);
    for (const fn of this.disconnectHandlers ?? []) fn(reason);
    this.nsp.disconnected(this, reason);
  }

  private ackFor(id: number): Ack {
    let sent = false;
    return (...args) => {
      if (sent || !this.connected) return; // an ack is answered once
      sent = true;
      this.client.sendPacket({ type: PacketType.ACK, nsp: this.nsp.name, id, data: args });
    };
  }
}
