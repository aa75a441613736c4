// A Socket.IO namespace: its connection hook, its auth check (run on every CONNECT, like a
// socket.io middleware), an optional delay before a CONNECT is answered, its sockets and rooms.
import type { Topics } from "../../transport/types.ts";
import { Rooms } from "./rooms.ts";
import type { Ack, SioSocket } from "./socket.ts";

/** An event handler shared by every socket of a namespace: one function, not one per socket. */
export type SharedHandler = (socket: SioSocket, args: unknown[], ack: Ack | null) => void;

/** Who sends a CONNECT: its Engine.IO session's client address ("" when unknown). */
export interface ConnectingPeer {
  readonly ip: string;
}

/** Refuses a CONNECT by returning the CONNECT_ERROR payload, or accepts it with null. */
export type AuthCheck = (auth: Readonly<Record<string, unknown>>, peer: ConnectingPeer) => { message: string; data?: unknown } | null;

/** How long to wait before a CONNECT from this peer is looked at (0: at once); e.g. a throttle. */
export type ConnectDelay = (peer: ConnectingPeer) => number;

export class Namespace {
  readonly sockets = new Map<string, SioSocket>();
  readonly rooms: Rooms;
  private readonly checks: AuthCheck[] = [];
  /** Set by delayConnect; null: every CONNECT is answered at once. */
  connectDelay: ConnectDelay | null = null;
  private readonly connectionHandlers: Array<(s: SioSocket) => void> = [];
  private readonly handlers = new Map<string, SharedHandler>();
  private readonly disconnectHandlers: Array<(s: SioSocket, reason: string) => void> = [];
  private readonly suspendHandlers: Array<(s: SioSocket, reason: string) => void> = [];
  private readonly recoverHandlers: Array<(s: SioSocket) => void> = [];
  /** For an event no handler (the socket's or the namespace's) is registered for. */
  unknown: ((socket: SioSocket, event: string, args: unknown[], ack: Ack | null) => void) | null = null;

  constructor(readonly name: string, topics: Topics) {
    this.rooms = new Rooms(name, topics);
  }

  use(check: AuthCheck): this {
    this.checks.push(check);
    return this;
  }

  /** A CONNECT waits this long before its auth checks run and it is answered (one hook per namespace). */
  delayConnect(fn: ConnectDelay): this {
    this.connectDelay = fn;
    return this;
  }

  onConnection(fn: (s: SioSocket) => void): this {
    this.connectionHandlers.push(fn);
    return this;
  }

  /** A handler for this event on every socket (a socket's own handler, if any, comes first). */
  on(event: string, handler: SharedHandler): this {
    this.handlers.set(event, handler);
    return this;
  }

  onUnknown(fn: (socket: SioSocket, event: string, args: unknown[], ack: Ack | null) => void): this {
    this.unknown = fn;
    return this;
  }

  /**
   * The socket is gone for good, after its own disconnect handlers: disconnected and not coming
   * back (with recovery, when its window ends; the reason is the one it lost its transport for).
   */
  onDisconnect(fn: (s: SioSocket, reason: string) => void): this {
    this.disconnectHandlers.push(fn);
    return this;
  }

  /** The socket lost its transport and may come back (connection state recovery): emits to it are kept. */
  onSuspend(fn: (s: SioSocket, reason: string) => void): this {
    this.suspendHandlers.push(fn);
    return this;
  }

  /**
   * The socket came back within its window: the same object, id and rooms; what it missed has
   * been sent. Connection handlers do not run again.
   */
  onRecover(fn: (s: SioSocket) => void): this {
    this.recoverHandlers.push(fn);
    return this;
  }

  /** Everyone in the room. */
  to(room: string): { emit(event: string, ...args: unknown[]): void } {
    return { emit: (event, ...args) => this.rooms.broadcast(room, null, event, args) };
  }

  /** Every socket of the namespace (those away included: they get it when they come back). */
  emit(event: string, ...args: unknown[]): void {
    for (const s of this.sockets.values()) s.emit(event, ...args);
  }

  // ---- called by SioClient / SioSocket ----

  authorize(auth: Readonly<Record<string, unknown>>, peer: ConnectingPeer): { message: string; data?: unknown } | null {
    for (const check of this.checks) {
      const refusal = check(auth, peer);
      if (refusal) return refusal;
    }
    return null;
  }

  add(s: SioSocket): void {
    this.sockets.set(s.id, s);
    for (const fn of this.connectionHandlers) fn(s);
  }

  remove(s: SioSocket): void {
    this.sockets.delete(s.id);
  }

  handler(event: string): SharedHandler | undefined {
    return this.handlers.get(event);
  }

  disconnected(s: SioSocket, reason: string): void {
    for (const fn of this.disconnectHandlers) fn(s, reason);
  }

  suspended(s: SioSocket, reason: string): void {
    for (const fn of this.suspendHandlers) fn(s, reason);
  }

  recovered(s: SioSocket): void {
    for (const fn of this.recoverHandlers) fn(s);
  }
}
