// The small interfaces that pure protocol code (hubs, rooms, relays) is written against. The seam
// maps them to Bun sockets and topics (docs/architecture.md#the-websocket-seam); unit tests use the
// fakes in test/helpers/fakes.ts.

/** One client connection, as protocol code sees it. S: the protocol's per-connection state. */
export interface Conn<S = unknown> {
  /** Unique for the server's lifetime. */
  readonly id: number;
  /** Opened with operator rights (docs/access.md#operator-rights). */
  readonly operator: boolean;
  /** What the protocol's open() returned for this connection. */
  state: S;
  /** A frame for this connection, written now: replies from its own handler, timers, commits. */
  send(data: string | Uint8Array): void;
  /**
   * A frame for this connection from another connection's handler (a relay, a per-member fan-out).
   * It is queued and written with the connection's other frames of this event-loop turn (one write
   * instead of one per frame), in order with what send() and topics deliver to it.
   */
  post(data: string): void;
  close(code: number, reason?: string): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  /** Publish to a topic's subscribers except this connection. */
  publishOthers(topic: string, data: string): void;
  /** Runs fn with this connection's writes held back, then writes them together. */
  cork(fn: () => void): void;
  /**
   * Background work this connection started (a database write, a token check). If it fails, that
   * is a bug: the seam logs it once and closes this connection with 1011, as for a handler that throws.
   */
  watch(work: Promise<unknown>): void;
}

/** Fan-out: one serialization, delivered to every subscriber of a topic. */
export interface Topics {
  publish(topic: string, data: string): void;
}

/** Injected time, so hubs, grids and watchdogs are testable to the millisecond. */
export interface Clock {
  /** Wall clock, ms since the Unix epoch. */
  now(): number;
  /** Monotonic ms (never jumps). */
  mono(): number;
  /** Run fn after ms; returns a cancel function. */
  setTimer(ms: number, fn: () => void): () => void;
}
