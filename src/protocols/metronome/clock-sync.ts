// Per-connection clock offset estimator (docs/metronome.md#clock-offsets). Pure arithmetic, no time
// source: the caller passes the server's receive instant. offset = client clock − server clock (ms).

/** A completed NTP-style exchange as reported by the client in sync_time's `previous`. */
export interface Exchange {
  client_ts: number; // client clock when the request left
  server_recv_ts: number; // server clock when it arrived
  server_send_ts: number; // server clock when the reply left
  client_recv_ts: number; // client clock when the reply arrived
}

/**
 * Samples further than this from the server clock are ignored. The original API's own example sends
 * `time_utc: 123123123`, and clients that send seconds instead of milliseconds exist; such a value
 * would otherwise shift every beat by decades. A real phone clock is never a day off.
 */
export const MAX_PLAUSIBLE_OFFSET_MS = 24 * 60 * 60 * 1000;

/**
 * A one-way sample only bounds the offset from below (offset ≥ client_ts − server_recv: the frame
 * spent some time in transit). A best sample between −AGREE_MS and 0 is what a client whose clock
 * agrees with the server's produces, its frames a few ms in transit; it is read as exactly 0, so
 * such a client gets the server-time instant unchanged (docs/metronome.md#clock-offsets) instead of
 * one early by its link delay, and clients on one clock get identical start_ts. A clock further
 * behind keeps its value.
 */
export const AGREE_MS = 50;

/** Offset and round trip of one full exchange (docs/metronome.md#sync_time, the NTP formulas). */
export function exchangeOffset(x: Exchange): { offset: number; rtt: number } {
  return {
    offset: (x.client_ts - x.server_recv_ts + (x.client_recv_ts - x.server_send_ts)) / 2,
    rtt: x.client_recv_ts - x.client_ts - (x.server_send_ts - x.server_recv_ts),
  };
}

/**
 * Offset and round trip of a server-initiated exchange (get_time, docs/metronome.md#get_time): the
 * server sent the request at `send` and had the answer at `recv` (both server clock); the client
 * read its clock, `clientTs`, somewhere in between. Taking the midpoint, the error is half the
 * difference between the two directions' delays, as for sync_time's exchanges.
 */
export function roundTripOffset(send: number, clientTs: number, recv: number): { offset: number; rtt: number } {
  return { offset: clientTs - (send + recv) / 2, rtt: recv - send };
}

export class ClockSync {
  /** Best one-way sample: the largest client_ts − server_recv spent the least time in transit. */
  private oneWay: number | null = null;
  /** Full exchange with the smallest round trip seen; once present it wins over one-way samples. */
  private best: { offset: number; rtt: number } | null = null;

  /** A client timestamp (time_utc, current_client_ts, sync_time's client_ts) received at serverRecv. */
  oneWaySample(clientTs: number, serverRecv: number): void {
    const s = clientTs - serverRecv;
    if (!Number.isFinite(s) || Math.abs(s) > MAX_PLAUSIBLE_OFFSET_MS) return;
    if (this.oneWay === null || s > this.oneWay) this.oneWay = s;
  }

  /** A completed exchange; one with a negative round trip is inconsistent and ignored. */
  exchange(x: Exchange): void {
    this.roundTrip(exchangeOffset(x));
  }

  /**
   * The offset and round trip of any full exchange (sync_time's, get_time's): both kinds compete for
   * the one kept, the fastest. A negative round trip is inconsistent and ignored.
   */
  roundTrip(e: { offset: number; rtt: number }): void {
    if (!Number.isFinite(e.offset) || !Number.isFinite(e.rtt) || e.rtt < 0 || Math.abs(e.offset) > MAX_PLAUSIBLE_OFFSET_MS) return;
    if (this.best === null || e.rtt < this.best.rtt) this.best = e;
  }

  /** Current estimate; 0 without samples, so a client that agrees with the server gets server time. */
  get offset(): number {
    if (this.best) return this.best.offset;
    const w = this.oneWay ?? 0;
    return w < 0 && w >= -AGREE_MS ? 0 : w;
  }

  /** Round trip of the exchange in use, or null while only one-way samples are known. */
  get rtt(): number | null {
    return this.best?.rtt ?? null;
  }

  /** A server instant expressed on this client's clock (by `offset`, default the current estimate), in whole ms. */
  toClient(serverInstant: number, offset = this.offset): number {
    return Math.round(serverInstant + offset);
  }
}
