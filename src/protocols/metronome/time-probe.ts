// get_time round trips (docs/metronome.md#get_time): the server asks a client of the later dialect
// for its clock and uses each answer as a full exchange, so such a client needs no sync_time to
// click in phase. Pure: an injected Clock and a small host, no sockets.
import type { Clock } from "../../transport/types.ts";
import { roundTripOffset } from "./clock-sync.ts";
import { encodeRequest } from "./codec.ts";

/** The schedule (docs/metronome.md#get_time). One request in flight at a time, so none waits behind another. */
export const PROBE = {
  /** Exchanges in the first burst; the fastest of them is kept. */
  burst: 5,
  /** Pause between an answer and the next request of the burst. */
  gapMs: 50,
  /** An answer later than this is a miss (and ignored when it comes). */
  timeoutMs: 1000,
  /** One more exchange this often after the burst: a faster one replaces the estimate. */
  periodMs: 30_000,
  /** After this many misses in a row the client is taken not to answer get_time: no more are sent. */
  maxMisses: 3,
  /** The longest the first play_sound to this client waits for the burst. */
  waitMs: 1000,
} as const;

export interface ProbeHost {
  /** Write a frame to the client now (from its own handler or a timer). */
  send(frame: string): void;
  /** The id K of the next server → client request on this connection. */
  nextRequestId(): number;
  /** One completed exchange. */
  roundTrip(e: { offset: number; rtt: number }): void;
  /** The first burst is over (or waitMs passed, or the client does not answer): its clock is as known as it gets for now. */
  settled(): void;
}

/** ts_ms of an answer `{"status":"success","ts_ms":T}`, or null for anything else. */
function answeredTs(result: unknown): number | null {
  if (typeof result !== "object" || result === null) return null;
  const r = result as { status?: unknown; ts_ms?: unknown };
  return r.status === "success" && typeof r.ts_ms === "number" && Number.isFinite(r.ts_ms) ? r.ts_ms : null;
}

export class TimeProbe {
  /** The get_time in flight: its K and the server instant it left. */
  private inFlight: { k: number; sentAt: number } | null = null;
  /** Exchanges still to make in the current burst (1 in each later period). */
  private left: number = PROBE.burst;
  private misses = 0;
  /** The one pending step: the timeout of the request in flight, or the wait before the next. */
  private timer: (() => void) | null = null;
  private waitTimer: (() => void) | null = null;
  /** True until settled(): play_sound to this client waits (docs/metronome.md#get_time). */
  measuring = true;

  constructor(private readonly clock: Clock, private readonly host: ProbeHost) {}

  start(): void {
    this.waitTimer = this.clock.setTimer(PROBE.waitMs, () => this.settle());
    this.ask();
  }

  private ask(): void {
    const k = this.host.nextRequestId();
    this.inFlight = { k, sentAt: this.clock.now() };
    this.host.send(encodeRequest("get_time", "null", k));
    this.timer = this.clock.setTimer(PROBE.timeoutMs, () => this.done(false));
  }

  /** A response from the client; true when it answered the get_time in flight (else it is not ours). */
  answer(id: unknown, result: unknown): boolean {
    const f = this.inFlight;
    if (f === null || id !== f.k) return false;
    const recv = this.clock.now();
    this.timer?.();
    const ts = answeredTs(result);
    if (ts !== null) this.host.roundTrip(roundTripOffset(f.sentAt, ts, recv));
    this.done(ts !== null);
    return true;
  }

  /** The request in flight is over: answered, or missed (timed out, or an answer without ts_ms). */
  private done(answered: boolean): void {
    this.inFlight = null;
    this.timer = null;
    this.misses = answered ? 0 : this.misses + 1;
    if (this.misses >= PROBE.maxMisses) {
      this.settle();
      this.stop();
      return;
    }
    if (--this.left > 0) {
      this.timer = this.clock.setTimer(PROBE.gapMs, () => this.ask());
      return;
    }
    this.settle();
    this.left = 1;
    this.timer = this.clock.setTimer(PROBE.periodMs, () => this.ask());
  }

  private settle(): void {
    this.waitTimer?.();
    this.waitTimer = null;
    if (!this.measuring) return;
    this.measuring = false;
    this.host.settled();
  }

  /** No more requests (the connection closed, or the client does not answer). */
  stop(): void {
    this.timer?.();
    this.timer = null;
    this.inFlight = null;
    this.waitTimer?.();
    this.waitTimer = null;
    this.measuring = false;
  }
}
