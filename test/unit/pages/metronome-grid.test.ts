// The metronome page's beat grid (src/pages/metronome/grid.ts): beat times, the bar count across
// tempo changes, and tap tempo. Pure: numbers in, numbers out.
import { expect, test } from "bun:test";
import { barPos, beatAtOrBefore, beatMs, beatOn, firstBeatFrom, nextGrid, shiftBar, tapTempo } from "../../../src/pages/metronome/grid.ts";

const T = 1_800_000_000_000;

test("beat k is at start + k·60000/bpm", () => {
  const g = nextGrid(null, T, 120);
  expect(beatMs(g, 0)).toBe(T);
  expect(beatMs(g, 3)).toBe(T + 1500);
  expect(firstBeatFrom(g, T - 10_000)).toBe(0);
  expect(firstBeatFrom(g, T + 500)).toBe(1);
  expect(firstBeatFrom(g, T + 501)).toBe(2);
  expect(beatAtOrBefore(g, T - 1)).toBe(-1);
  expect(beatAtOrBefore(g, T + 999)).toBe(1);
});

test("a fresh grid starts a bar; one that lies on the grid being played goes on counting", () => {
  const g = nextGrid(null, T, 120);
  expect([0, 1, 2, 3, 4, 5].map((k) => barPos(g, k, 4))).toEqual([0, 1, 2, 3, 0, 1]);
  // update_temp: the new tempo begins on beat 6 of the old grid (start_ts rounded to whole ms).
  const faster = nextGrid(g, beatMs(g, 6) + 1, 150);
  expect(beatOn(g, beatMs(g, 6) + 1)).toBe(6);
  expect([0, 1, 2].map((k) => barPos(faster, k, 4))).toEqual([2, 3, 0]);
  // A start_ts off the grid (a restart, joining a running group) counts from 1 again.
  expect(nextGrid(g, beatMs(g, 6) + 200, 120).bar0).toBe(0);
  expect(beatOn(g, T - 500)).toBeNull();
});

test("Move the 1 accents the next beat instead; beats per bar is taken modulo", () => {
  const g = shiftBar(nextGrid(null, T, 100));
  expect([0, 1, 2, 3].map((k) => barPos(g, k, 3))).toEqual([2, 0, 1, 2]);
  expect(barPos(g, 5, 1)).toBe(0);
});

test("tap tempo averages the last intervals and stays within 20..400", () => {
  expect(tapTempo([0])).toBeNull();
  expect(tapTempo([0, 500, 1000, 1500])).toBe(120);
  expect(tapTempo([0, 400, 1000, 1500, 2000, 2500, 3000, 3500])).toBe(120); // only the last six taps
  expect(tapTempo([0, 10])).toBe(400);
  expect(tapTempo([0, 5000])).toBe(20);
});
