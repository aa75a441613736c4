// The beat grid (docs/metronome.md#the-beat-grid: start_metronome, update_temp, late join). Pure
// arithmetic on server wall-clock ms. A grid is one anchor beat plus a tempo:
// beat k is at anchor + k·60000/bpm.

export interface Grid {
  /** Server instant of beat 0 of the current tempo segment (whole ms). */
  anchor: number;
  bpm: number;
}

/**
 * A late joiner is told about the first beat of the running grid at least this far ahead, so the
 * play_sound reaches the phone before the instant it names, and it joins in phase
 * (docs/metronome.md#the-beat-grid).
 */
export const JOIN_GUARD_MS = 100;

export const beatPeriod = (bpm: number): number => 60000 / bpm;

/** A new grid for start_metronome: the first beat at least leadMs after now. */
export const startGrid = (now: number, leadMs: number, bpm: number): Grid => ({ anchor: Math.ceil(now + leadMs), bpm });

/** The first beat of `g` at or after `earliest` (never before the anchor), rounded to whole ms. */
export function beatAtOrAfter(g: Grid, earliest: number): number {
  const p = beatPeriod(g.bpm);
  const k = Math.max(0, Math.ceil((earliest - g.anchor) / p - 1e-9));
  return Math.round(g.anchor + k * p);
}

/** The beat a late joiner (or a resync) is told to start from. */
export const joinBeat = (g: Grid, now: number): number => beatAtOrAfter(g, now + JOIN_GUARD_MS);

/**
 * update_temp while playing (docs/metronome.md#the-beat-grid): the new tempo starts on the next
 * beat of the OLD grid, strictly after now, so every phone changes tempo on a beat it was going to
 * play anyway (phase continuous). That beat may be only a few ms ahead; it is on both grids, so a
 * phone that gets the play_sound late has already played it.
 */
export const retempo = (g: Grid, now: number, bpm: number): Grid => ({ anchor: beatAtOrAfter(g, now + 1), bpm });
