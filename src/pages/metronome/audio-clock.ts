// The page's clock and the AudioContext's clock (docs/pages.md#the-metronome-page). The page's
// clock is performance.timeOrigin + performance.now(): ms since the epoch, monotonic between
// wall-clock adjustments, and the clock every timestamp this page sends or receives is in. The
// AudioContext counts seconds of rendered audio, on the sound card's crystal. The mapping between
// them is one number, `offsetMs` = the page time at which context time 0 comes out of the
// speaker, so pageMs = offsetMs + contextTime·1000. It is measured again every 250 ms, because
// the two clocks drift apart (a few ms a minute on real hardware) and the output latency can change.

export const pageNow = () => performance.timeOrigin + performance.now();

/** How a sample was taken: getOutputTimestamp(), or currentTime plus the reported latencies. */
export type MappingSource = "output-timestamp" | "current-time";

const WINDOW = 12;
const EVERY_MS = 250;

export class AudioClock {
  private samples: number[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;
  source: MappingSource | null = null;

  constructor(readonly ctx: AudioContext) {}

  /**
   * One sample of offsetMs. getOutputTimestamp() pairs a context time with the performance.now()
   * at which that sample is played, output latency included; while the output has not started it
   * returns zeros. Without it: currentTime (the next block to render) is heard after baseLatency +
   * outputLatency, and since currentTime only moves once per rendered block, the smallest
   * (now − currentTime) over the window is the moment it moved.
   */
  sample(): void {
    if (this.ctx.state !== "running") return;
    const ts = typeof this.ctx.getOutputTimestamp === "function" ? this.ctx.getOutputTimestamp() : null;
    let source: MappingSource;
    let off: number;
    if (ts && (ts.contextTime ?? 0) > 0 && (ts.performanceTime ?? 0) > 0) {
      source = "output-timestamp";
      off = performance.timeOrigin + ts.performanceTime! - ts.contextTime! * 1000;
    } else {
      source = "current-time";
      const latency = (this.ctx.baseLatency || 0) + (this.ctx.outputLatency || 0);
      off = pageNow() - this.ctx.currentTime * 1000 + latency * 1000;
    }
    if (source !== this.source) this.samples = [];
    this.source = source;
    this.samples.push(off);
    if (this.samples.length > WINDOW) this.samples.shift();
  }

  /** Sample every 250 ms while the context runs. */
  start(): void {
    this.sample();
    this.timer ??= setInterval(() => this.sample(), EVERY_MS);
  }

  /**
   * The current estimate: the median of the window for getOutputTimestamp (robust to one late
   * callback), the minimum for currentTime (see sample()); null before the first sample.
   */
  get offsetMs(): number | null {
    if (this.samples.length === 0) this.sample();
    if (this.samples.length === 0) return null;
    if (this.source === "current-time") return Math.min(...this.samples);
    const s = [...this.samples].sort((a, b) => a - b);
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  }

  /** Context seconds at which page time `ms` is heard, or null while nothing is measured. */
  toContext(ms: number): number | null {
    const off = this.offsetMs;
    return off === null ? null : (ms - off) / 1000;
  }

  /** Page time (ms since the epoch) at which context time `when` is heard, or null. */
  toPage(when: number): number | null {
    const off = this.offsetMs;
    return off === null ? null : off + when * 1000;
  }
}
