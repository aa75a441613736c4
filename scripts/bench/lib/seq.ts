// Sequence checks and latency histograms for the soak (docs/bench.md#soak). Every stream of
// messages carries a counter that its receiver checks: the next one must be the previous plus one.
// A jump forward is that many lost, the same counter again a duplicate, an earlier one reordered.
// Counters that wrap (a bpm, a buzzer id) are compared modulo their range.

/** What one protocol's receivers saw. */
export class Tallies {
  received = 0;
  lost = 0;
  duplicated = 0;
  reordered = 0;
  /** Things that went wrong besides the sequence: refused handshakes, error replies, closes we did not ask for. */
  readonly faults = new Map<string, number>();
  /** Connections opened and closed by the churn. */
  connects = 0;
  disconnects = 0;

  fault(what: string): void {
    this.faults.set(what, (this.faults.get(what) ?? 0) + 1);
  }
  get faultCount(): number {
    let n = 0;
    for (const v of this.faults.values()) n += v;
    return n;
  }
}

/**
 * One receiver's view of one sender's counter. `modulo` > 0: the counter wraps at that value and
 * the full count is reconstructed from the steps (a gap of more than half the range reads as
 * reordering). `first`: the counter the stream must start at (null: whatever comes first).
 */
export class SeqStream {
  /** The full counter of the last message in order (null before the first). */
  last: number | null;

  constructor(
    private readonly t: Tallies,
    private readonly modulo = 0,
    first: number | null = null,
  ) {
    this.last = first === null ? null : first - 1;
  }

  /** A message with counter `s`; returns its full counter, or null when it was a duplicate or out of order. */
  see(s: number): number | null {
    this.t.received++;
    if (this.last === null) return (this.last = s);
    const m = this.modulo;
    let step = m ? (((s - this.last) % m) + m) % m : s - this.last;
    if (m && step > m / 2) step -= m;
    if (step === 1) return (this.last += 1);
    if (step === 0) {
      this.t.duplicated++;
      return null;
    }
    if (step < 0) {
      this.t.reordered++;
      return null;
    }
    this.t.lost += step - 1;
    return (this.last += step);
  }

  /**
   * At the end: the sender's last counter (modulo the range for a wrapping one); anything after
   * what arrived was lost.
   */
  expectLast(sent: number): void {
    if (this.last === null) return;
    const m = this.modulo;
    const behind = m ? (((sent - this.last) % m) + m) % m : sent - this.last;
    if (behind > 0 && (!m || behind < m / 2)) this.t.lost += behind;
  }
}

/** Send times by counter, for the latency of each delivery (the last `size` kept; a power of two). */
export class SentAt {
  private readonly at: Float64Array;
  private readonly seq: Float64Array;
  private readonly mask: number;
  constructor(size = 1024) {
    this.at = new Float64Array(size);
    this.seq = new Float64Array(size).fill(-1);
    this.mask = size - 1;
  }
  mark(s: number, t = performance.now()): void {
    this.at[s & this.mask] = t;
    this.seq[s & this.mask] = s;
  }
  get(s: number): number | undefined {
    return this.seq[s & this.mask] === s ? this.at[s & this.mask] : undefined;
  }
}

/** Latencies in 0.05 ms steps up to 5 s (one more bucket for anything slower): cheap to add to for hours. */
export class Histogram {
  private static readonly STEP = 0.05;
  private readonly buckets = new Uint32Array(100_001);
  n = 0;
  max = 0;
  add(ms: number): void {
    const i = Math.min(this.buckets.length - 1, Math.max(0, Math.floor(ms / Histogram.STEP)));
    this.buckets[i]!++;
    this.n++;
    if (ms > this.max) this.max = ms;
  }
  since(t0: number | undefined, now = performance.now()): void {
    if (t0 !== undefined) this.add(now - t0);
  }
  percentile(p: number): number {
    if (this.n === 0) return NaN;
    const want = Math.ceil((p / 100) * this.n);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= want) return i === this.buckets.length - 1 ? this.max : (i + 1) * Histogram.STEP;
    }
    return this.max;
  }
  summary(): { n: number; p50: number; p99: number; max: number } {
    return { n: this.n, p50: this.percentile(50), p99: this.percentile(99), max: this.max };
  }
}

/** Least-squares slope of y over t (seconds), per minute. */
export function slopePerMin(pts: { t: number; y: number }[]): number {
  const n = pts.length;
  if (n < 2) return NaN;
  const mt = pts.reduce((s, p) => s + p.t, 0) / n;
  const my = pts.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of pts) (num += (p.t - mt) * (p.y - my)), (den += (p.t - mt) ** 2);
  return (num / den) * 60;
}
