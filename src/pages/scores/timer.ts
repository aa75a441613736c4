// The scoreboard's event timer (docs/pages.md#scoreboard-scores): a countdown of 30 s, 60 s,
// 180 s or a custom length, started, stopped and reset by hand, with a sound through WebAudio
// when it reaches zero. Time comes from performance.now(), so a changed wall clock does not
// move it.
import { audio, beep, unlockAudio } from "../lib/beep.ts";

export type TimerState = "ready" | "running" | "stopped" | "done";

/** The longest custom length (99:59, what the display has room for). */
export const MAX_TIMER_S = 99 * 60 + 59;

/** "90", "1:30", "01:30" → seconds; null for anything else or outside 1 s .. 99:59. */
export function parseDuration(text: string): number | null {
  const m = /^\s*(?:(\d{1,2}):)?(\d{1,4})\s*$/.exec(text);
  if (!m) return null;
  const min = m[1] === undefined ? 0 : Number(m[1]);
  const sec = Number(m[2]);
  if (m[1] !== undefined && sec > 59) return null;
  const total = min * 60 + sec;
  return total >= 1 && total <= MAX_TIMER_S ? total : null;
}

/** m:ss of whole seconds, rounded up while running (the last second shows 0:01, not 0:00). */
export const formatTime = (ms: number) => {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
};

/** Three tones, the last one long and higher: heard across a gym over the crowd. */
export function endSound(): void {
  const t = audio().currentTime + 0.02;
  beep({ freq: 880, ms: 160, gain: 0.35, at: t, type: "square" });
  beep({ freq: 880, ms: 160, gain: 0.35, at: t + 0.28, type: "square" });
  beep({ freq: 1320, ms: 700, gain: 0.4, at: t + 0.56, type: "square" });
}

export interface TimerView {
  root: HTMLElement;
  title: HTMLElement;
  display: HTMLElement;
  start: HTMLButtonElement;
  stop: HTMLButtonElement;
  reset: HTMLButtonElement;
}

export class EventTimer {
  private durationMs: number;
  private leftMs: number;
  /** performance.now() at which it reaches zero, while running. */
  private endsAt: number | null = null;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private ender: ReturnType<typeof setTimeout> | null = null;
  state: TimerState = "ready";

  constructor(private readonly v: TimerView, seconds: number) {
    this.durationMs = this.leftMs = seconds * 1000;
    v.start.addEventListener("click", () => this.start());
    v.stop.addEventListener("click", () => this.stop());
    v.reset.addEventListener("click", () => this.reset());
    this.render();
  }

  get seconds(): number {
    return this.durationMs / 1000;
  }

  /** A new length: the timer stops and shows it. */
  set(seconds: number): void {
    this.halt();
    this.durationMs = this.leftMs = seconds * 1000;
    this.state = "ready";
    this.render();
  }

  start(): void {
    if (this.state === "running") return;
    // The click that starts the timer is the gesture browsers want before they play sound.
    void unlockAudio();
    if (this.state === "done") this.leftMs = this.durationMs;
    this.endsAt = performance.now() + this.leftMs;
    this.state = "running";
    this.ticker = setInterval(() => this.render(), 100);
    this.ender = setTimeout(() => this.finish(), this.leftMs);
    this.render();
  }

  stop(): void {
    if (this.state !== "running") return;
    this.leftMs = Math.max(0, this.endsAt! - performance.now());
    this.halt();
    this.state = "stopped";
    this.render();
  }

  reset(): void {
    this.halt();
    this.leftMs = this.durationMs;
    this.state = "ready";
    this.render();
  }

  toggle(): void {
    if (this.state === "running") this.stop();
    else this.start();
  }

  private finish(): void {
    // A throttled background tab may fire early by a few ms: wait for the real end.
    const left = this.endsAt! - performance.now();
    if (left > 5) {
      this.ender = setTimeout(() => this.finish(), left);
      return;
    }
    this.halt();
    this.leftMs = 0;
    this.state = "done";
    this.render();
    endSound();
  }

  private halt(): void {
    if (this.ticker !== null) clearInterval(this.ticker);
    if (this.ender !== null) clearTimeout(this.ender);
    this.ticker = this.ender = null;
    this.endsAt = null;
  }

  private render(): void {
    const left = this.endsAt === null ? this.leftMs : Math.max(0, this.endsAt - performance.now());
    const { root, title, display, start, stop, reset } = this.v;
    display.textContent = formatTime(left);
    title.textContent = this.state === "done" ? "Time’s up" : "Timer";
    root.dataset.state = this.state;
    // The last ten seconds are marked (style.css), so judges see the end coming.
    root.dataset.final = String(this.state === "running" && left <= 10_000);
    start.disabled = this.state === "running";
    stop.disabled = this.state !== "running";
    reset.disabled = this.state === "ready";
    start.textContent = this.state === "stopped" ? "Resume" : "Start";
  }
}
