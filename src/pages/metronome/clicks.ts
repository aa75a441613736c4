// Clicks on the AudioContext clock (docs/pages.md#the-metronome-page): every beat of the grid is
// an OscillatorNode started with AudioScheduledSourceNode.start(when), `when` being the beat's
// page time mapped by AudioClock. Beats are scheduled 1.5 s ahead from a 50 ms timer, so a timer
// held up by a busy phone (or a background tab's 1 s timers) never makes a late or missing click;
// a new grid, a stop and a change of the bar cancel the clicks they replace. When the mapping
// moves (the audio output settling after it starts, a glitch that holds the audio clock back), the
// clicks ahead are started again at their new context time.
import { pageNow, type AudioClock } from "./audio-clock.ts";
import { barPos, beatMs, firstBeatFrom, nextGrid, shiftBar, type Grid } from "./grid.ts";

const LOOKAHEAD_MS = 1500;
/** Clicks this close are left alone when rescheduling: cancelling them could lose the beat. */
const KEEP_MS = 30;
/** A click whose context time is off by more than this after the mapping moved is rescheduled. */
const REMAP_S = 0.0005;
const TICK_MS = 50;
/** A beat closer than this to the present is not scheduled any more (it would sound late). */
const MIN_AHEAD_S = 0.003;
const LOG = 256;

/** One scheduled click, as the debug hook shows it (docs/pages.md#the-metronome-page). */
export interface ClickRecord {
  /** Beat number on its grid, and the grid (start_ts, bpm). */
  k: number;
  startTs: number;
  bpm: number;
  /** The page time it was aimed at (start_ts + k·60000/bpm) and the context time it was started at. */
  pageMs: number;
  when: number;
  accent: boolean;
}

interface Scheduled extends ClickRecord {
  grid: Grid;
  osc: OscillatorNode;
  env: GainNode;
}

export class Clicker {
  grid: Grid | null = null;
  beatsPerBar = 4;
  /** The clicks still to come, and a log of the last ones (cancelled clicks leave both). */
  private ahead: Scheduled[] = [];
  readonly log: ClickRecord[] = [];
  private nextK = 0;
  private clock: AudioClock | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  /** Audio is unlocked: schedule from now on. */
  attach(clock: AudioClock): void {
    this.clock = clock;
    if (this.grid) this.nextK = firstBeatFrom(this.grid, pageNow() + MIN_AHEAD_S * 1000);
    this.timer ??= setInterval(() => this.tick(), TICK_MS);
    this.tick();
  }

  /** A play_sound: the grid from start_ts (page clock) at bpm, continuing the current one if it lies on it. */
  play(startTs: number, bpm: number): void {
    const g = nextGrid(this.grid, startTs, bpm);
    // Beats of the old grid after the switch are replaced; the one at the switch, if already
    // scheduled, is also beat 0 of the new grid and stays.
    this.cancel((c) => c.pageMs > startTs + 1);
    this.grid = g;
    this.resume();
  }

  /** The bar changed (beats per bar, "Move the 1"): the clicks ahead again with the new accents. */
  rebar(): void {
    if (!this.grid) return;
    const soon = pageNow() + KEEP_MS;
    this.cancel((c) => c.pageMs > soon);
    this.resume();
  }

  /** Go on from the first beat after the last click still scheduled. */
  private resume(): void {
    const last = this.ahead.reduce((m, c) => Math.max(m, c.pageMs), -Infinity);
    if (this.grid) this.nextK = firstBeatFrom(this.grid, Math.max(last + 1, pageNow() + MIN_AHEAD_S * 1000));
    this.tick();
  }

  stop(): void {
    this.cancel(() => true);
    this.grid = null;
  }

  /** "Move the 1": the accent one beat later from the next unscheduled beat on. */
  shift(): void {
    if (this.grid) this.grid = shiftBar(this.grid);
    this.rebar();
  }

  private tick(): void {
    const now = pageNow();
    this.ahead = this.ahead.filter((c) => c.pageMs > now - 100);
    const g = this.grid;
    const clock = this.clock;
    if (!g || !clock || clock.ctx.state !== "running") return;
    const moved = this.ahead.filter((c) => c.pageMs > now + KEEP_MS && Math.abs((clock.toContext(c.pageMs) ?? c.when) - c.when) > REMAP_S);
    if (moved.length) {
      this.cancel((c) => moved.includes(c));
      for (const c of moved) this.schedule(c.grid, clock, c.k);
    }
    for (let i = 0; i < 64 && beatMs(g, this.nextK) <= now + LOOKAHEAD_MS; i++, this.nextK++) this.schedule(g, clock, this.nextK);
  }

  private schedule(g: Grid, clock: AudioClock, k: number): void {
    const ctx = clock.ctx;
    const pageMs = beatMs(g, k);
    const when = clock.toContext(pageMs);
    if (when === null || when < ctx.currentTime + MIN_AHEAD_S) return;
    const accent = barPos(g, k, this.beatsPerBar) === 0;
    const osc = ctx.createOscillator();
    const env = ctx.createGain();
    osc.type = "triangle";
    osc.frequency.value = accent ? 1760 : 1175;
    // A 2 ms attack and a 45 ms decay: a woodblock-like tick whose onset is the beat.
    env.gain.setValueAtTime(0, when);
    env.gain.linearRampToValueAtTime(accent ? 0.9 : 0.5, when + 0.002);
    env.gain.exponentialRampToValueAtTime(0.001, when + 0.045);
    osc.connect(env).connect(ctx.destination);
    osc.start(when);
    osc.stop(when + 0.05);
    const c: Scheduled = { k, startTs: g.startMs, bpm: g.bpm, pageMs, when, accent, grid: g, osc, env };
    this.ahead.push(c);
    this.log.push(c);
    if (this.log.length > LOG) this.log.shift();
  }

  private cancel(which: (c: Scheduled) => boolean): void {
    const now = pageNow();
    for (const c of this.ahead) {
      if (c.pageMs <= now || !which(c)) continue;
      try {
        c.osc.stop(); // before its start: it never sounds
      } catch {
        // already stopped
      }
      c.env.disconnect();
      const i = this.log.indexOf(c);
      if (i >= 0) this.log.splice(i, 1);
    }
    this.ahead = this.ahead.filter((c) => c.pageMs <= now || !which(c));
  }
}
