// The rate limit of Engine.IO sessions (docs/socketio.md#rate-limit): the seam's rule
// (docs/common.md#rate-limit) applied per session and packet by packet, whatever the transport.
// Every packet from the client is a unit of work: each Socket.IO packet (EVENT, ACK, CONNECT,
// DISCONNECT), each binary attachment, each Engine.IO packet (pongs included) and each WebSocket
// control frame. Over the rate, packets wait in the session's own bounded queue and are handled in
// order as tokens come back; only a packet that finds the queue full is refused: the application's
// error reply, then the session is closed.
//
// Heartbeat answers (pongs, the upgrade probe, control frames) are handled when they arrive, since
// a pong stuck behind a long queue would time a busy session out, and their unit is charged all the
// same: it waits in the queue as a placeholder, in order with the rest. Pure: time from the Clock.
import type { Clock } from "../../transport/types.ts";
import { RatePolicy, type Metered, type RateLimits } from "../../transport/rate.ts";
import type { EnginePacket, Frame } from "./codec.ts";

/** A packet as it waits: decoded (a polling body's), or a WebSocket frame still as it came. */
export type Arrived = EnginePacket | Frame;

/** What the gate needs of a session: its bucket and queue, and how to handle or refuse a packet. */
export interface Gated extends Metered<Arrived | null> {
  /** Cancels the timer that hands the session its queued packets. */
  drainTimer: (() => void) | null;
  /** Still taking packets (queued ones are dropped once it is not). */
  readonly accepting: boolean;
  /** Handle one packet now (the session's own dispatch). */
  handle(p: Arrived): void;
  /** The queue is full: the error reply, then the close. p: the packet that did not fit (null: a control frame). */
  overflow(p: Arrived | null): void;
  /** Runs fn with the session's writes held back, so the replies of one run leave together. */
  cork(fn: () => void): void;
}

/** What a packet weighs in the queue's byte bound. */
const bytesOf = (p: Arrived): number => {
  const d = typeof p === "string" || p instanceof Uint8Array ? p : p.data;
  if (typeof d === "string") return Buffer.byteLength(d);
  return d && typeof (d as Uint8Array).byteLength === "number" ? (d as Uint8Array).byteLength : 0;
};

/** One per server, shared by its sessions (like the seam's RatePolicy per endpoint). */
export class PacketGate {
  readonly policy: RatePolicy;

  constructor(
    private readonly clock: Clock,
    limits: RateLimits,
    /** A handler threw while queued packets were handled: the server's fault path for that session. */
    private readonly fault: (s: Gated, err: unknown) => void,
    private readonly counters: { errors: number },
  ) {
    this.policy = new RatePolicy(limits);
  }

  /** A new session starts with the whole burst. */
  start(s: Gated): void {
    this.policy.fill(s, this.clock.mono());
    s.drainTimer = null;
  }

  /** A packet: handled now when a token is there and nothing of the session waits ahead of it, else queued. */
  packet(s: Gated, p: Arrived): void {
    // While packets wait, this one waits too: no need to read the clock (a flood's usual case).
    if (s.waiting === null && this.policy.admit(s, this.clock.mono(), 1)) return s.handle(p);
    this.hold(s, p, bytesOf(p));
  }

  /** A packet already handled on arrival (a pong, a probe, a control frame): its unit is paid in turn. */
  charge(s: Gated): void {
    if (s.waiting !== null || !this.policy.admit(s, this.clock.mono(), 1)) this.hold(s, null, 0);
  }

  /** The session ended: nothing of it waits any more. */
  stop(s: Gated): void {
    s.drainTimer?.();
    s.drainTimer = null;
    s.waiting = null;
    s.waitingBytes = 0;
  }

  private hold(s: Gated, p: Arrived | null, bytes: number): void {
    if (!s.accepting) return;
    if (!this.policy.enqueue(s, { data: p, cost: 1, bytes })) {
      this.counters.errors++;
      this.stop(s); // what was still waiting is not handled: the session is being closed
      return s.overflow(p);
    }
    if (s.drainTimer === null) this.schedule(s);
  }

  private schedule(s: Gated): void {
    s.drainTimer = this.clock.setTimer(this.policy.waitMs(s), () => {
      s.drainTimer = null;
      this.drain(s);
    });
  }

  /** Hand the session every queued packet whose turn has come, in order. */
  private drain(s: Gated): void {
    const policy = this.policy;
    try {
      s.cork(() => {
        for (let w = policy.next(s, this.clock.mono()); w !== null && s.accepting; w = policy.next(s, this.clock.mono())) {
          if (w.data !== null) s.handle(w.data);
        }
      });
    } catch (err) {
      this.stop(s);
      return this.fault(s, err);
    }
    if (!s.accepting) this.stop(s);
    else if (s.waiting !== null) this.schedule(s);
  }
}
