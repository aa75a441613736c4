// The small interfaces that pure protocol state (hubs, rooms, relays) is written against.
// The plugin maps them to Bun sockets and topics; unit tests use the fakes in test/helpers.

/** One client connection, as the protocol logic sees it. */
export interface Conn {
  /** Unique for the server's lifetime. */
  readonly id: number;
  /** Opened with operator rights (docs/access.md#operator-rights). */
  readonly operator?: boolean;
  send(data: string): void;
  close(code: number, reason?: string): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  /** Publish to a topic's subscribers except this connection. */
  publishOthers(topic: string, data: string): void;
  /**
   * Runs fn with this connection's sends held back, then writes them together: one write
   * instead of one per frame, for replies sent outside the socket's own message handler.
   */
  cork?(fn: () => void): void;
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
