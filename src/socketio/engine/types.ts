// What an Engine.IO session is written against (session.ts): the WebSocket under it, its options,
// the application's events, and the counters it keeps.
import type { EnginePacket, Frame } from "./codec.ts";

/** The WebSocket under a session (a WsConn in production, a fake in unit tests). */
export interface WsLink {
  readonly id: number;
  send(data: Frame): void;
  /** A text frame from another connection's handler (docs/architecture.md#the-websocket-seam). */
  post(data: string): void;
  close(code: number, reason?: string): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  publishOthers(topic: string, data: string): void;
  /** Runs fn with this socket's writes held back, then writes them together. */
  cork?(fn: () => void): void;
}

export interface EngineOptions {
  pingIntervalMs: number;
  pingTimeoutMs: number;
  maxPayload: number;
  /** How long a probed WebSocket may take to send the upgrade packet "5". */
  upgradeTimeoutMs: number;
  /** How long a server-closed polling session waits for the GET that carries its last packets. */
  closeTimeoutMs: number;
  /**
   * Packets queued for a polling client that does not come to fetch them; past this the session
   * is dropped, as a WebSocket is on backpressure (a dropped packet would corrupt the session).
   */
  maxBufferedPackets: number;
}

export interface SessionEvents {
  /** A "message" packet: text, or bytes for a binary attachment. */
  message(data: string | Uint8Array): void;
  /** The session moved from polling to its WebSocket. */
  upgraded(): void;
  closed(reason: string): void;
  /** A ping goes out, after everything sent so far. */
  pinging?(): void;
  /**
   * Its pong came back: the client has read everything sent before that ping (one ordered
   * stream, and a client answers a ping after the packets before it).
   */
  ponged?(): void;
  /** The rate queue was full (gate.ts): the error reply for p (a packet, or a WebSocket frame not decoded yet; null: a control frame); the close follows. */
  rateLimited?(p: EnginePacket | Frame | null): void;
}

/**
 * Which Engine.IO client library opened the session, as far as the server can tell (see
 * engineClientOf in server.ts); "unknown" for every other one.
 */
export type EngineClient = "python-engineio" | "unknown";

/** Polling packets in/out (WebSocket frames are counted by the transport seam). */
export interface PacketCounters {
  framesIn: number;
  framesOut: number;
}

export type TransportName = "polling" | "websocket";
