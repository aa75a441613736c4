// A Socket.IO namespace: its connection hook, its auth check (run on every CONNECT, like a
// socket.io middleware) and its sockets and rooms.
import type { Topics } from "../../../transport/types.ts";
import { Rooms } from "./rooms.ts";
import type { SioSocket } from "./socket.ts";

/** Refuses a CONNECT by returning the CONNECT_ERROR payload, or accepts it with null. */
export type AuthCheck = (auth: Record<string, unknown>) => { message: string; data?: unknown } | null;

export class Namespace {
  readonly sockets = new Map<string, SioSocket>();
  readonly rooms: Rooms;
  private readonly checks: AuthCheck[] = [];
  private readonly connectionHandlers: Array<(s: SioSocket) => void> = [];

  constructor(readonly name: string, topics: Topics) {
    this.rooms = new Rooms(name, topics);
  }

  use(check: AuthCheck): this {
    this.checks.push(check);
    return this;
  }

  onConnection(fn: (s: SioSocket) => void): this {
    this.connectionHandlers.push(fn);
    return this;
  }

  /** Everyone in the room. */
  to(room: string): { emit(event: string, ...args: unknown[]): void } {
    return { emit: (event, ...args) => this.rooms.broadcast(room, null, event, args) };
  }

  /** Every socket of the namespace. */
  emit(event: string, ...args: unknown[]): void {
    for (const s of this.sockets.values()) s.emit(event, ...args);
  }

  // ---- called by SioClient / SioSocket ----

  authorize(auth: Record<string, unknown>): { message: string; data?: unknown } | null {
    for (const check of this.checks) {
      const refusal = check(auth);
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
}
