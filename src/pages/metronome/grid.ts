// The beat grid as a metronome page plays it (docs/metronome.md#the-beat-grid): beat k at
// start + k·60000/bpm on the page's clock, and where each beat falls in the bar
// (docs/pages.md#the-metronome-page). Pure: no DOM, no clock.

export interface Grid {
  /** start_ts: beat 0, ms since the epoch on this page's clock. */
  readonly startMs: number;
  readonly bpm: number;
  /** Position of beat 0 in the bar (0 = the accented first beat); any integer, taken modulo the bar. */
  readonly bar0: number;
}

export const periodMs = (bpm: number) => 60_000 / bpm;
export const beatMs = (g: Grid, k: number) => g.startMs + k * periodMs(g.bpm);
const mod = (a: number, n: number) => ((a % n) + n) % n;

/** Where beat k falls in a bar of `beatsPerBar` beats: 0 is the first (accented) beat. */
export const barPos = (g: Grid, k: number, beatsPerBar: number) => mod(g.bar0 + k, Math.max(1, beatsPerBar));

/** The first beat at or after `t` (never before beat 0). */
export function firstBeatFrom(g: Grid, t: number): number {
  return Math.max(0, Math.ceil((t - g.startMs) / periodMs(g.bpm) - 1e-9));
}

/** The last beat at or before `t`, or -1 before beat 0. */
export function beatAtOrBefore(g: Grid, t: number): number {
  return t < g.startMs ? -1 : Math.floor((t - g.startMs) / periodMs(g.bpm) + 1e-9);
}

/** The beat of `g` that `t` lies on, within `tolMs` (start_ts is rounded to whole ms), or null. */
export function beatOn(g: Grid, t: number, tolMs = 2): number | null {
  const k = Math.round((t - g.startMs) / periodMs(g.bpm));
  return k >= 0 && Math.abs(beatMs(g, k) - t) <= tolMs ? k : null;
}

/**
 * The grid a play_sound starts. A start_ts on a beat of the grid being played continues it (a
 * tempo change, a resync): the count in the bar goes on from that beat. Anything else (a start,
 * joining a running group) counts its first beat as the first of a bar, since play_sound says
 * nothing of where the bar begins.
 */
export function nextGrid(prev: Grid | null, startMs: number, bpm: number): Grid {
  const k = prev ? beatOn(prev, startMs) : null;
  return { startMs, bpm, bar0: prev && k !== null ? prev.bar0 + k : 0 };
}

/** Move the accent one beat later ("Move the 1"): for a phone that joined mid-bar. */
export const shiftBar = (g: Grid): Grid => ({ ...g, bar0: g.bar0 - 1 });

/** Tap tempo: bpm from the taps' times (ms), the last few intervals averaged; null if too few. */
export function tapTempo(taps: number[], min = 20, max = 400): number | null {
  if (taps.length < 2) return null;
  const recent = taps.slice(-6);
  const avg = (recent[recent.length - 1]! - recent[0]!) / (recent.length - 1);
  if (!(avg > 0)) return null;
  return Math.min(max, Math.max(min, Math.round(60_000 / avg)));
}
