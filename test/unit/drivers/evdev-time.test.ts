// Keyboard press times (docs/buzzer.md#the-game): the kernel's timeval of each key-down, mapped
// from the wall clock to the server's monotonic clock and kept within a second of the arrival.
import { describe, expect, test } from "bun:test";
import { EV_KEY, EvdevDecoder, inputEvent, inputEventAt, keyPressTime, MAX_KEY_AGE_MS } from "../../../src/drivers/keyboard/evdev.ts";

const cat = (parts: Uint8Array[]) => new Uint8Array(parts.flatMap((p) => [...p]));

describe("evdev press times", () => {
  test("each key-down carries its record's timeval, in ms with µs precision", () => {
    const d = new EvdevDecoder();
    const bytes = cat([
      inputEvent(EV_KEY, 30, 1, 1_700_000_000, 123_456),
      inputEvent(0, 0, 0, 1_700_000_000, 123_456),
      inputEvent(EV_KEY, 30, 0, 1_700_000_000, 200_000),
      inputEvent(EV_KEY, 48, 1, 1_700_000_001, 7),
    ]);
    expect(d.pushTimed(bytes)).toEqual([
      { id: 30, wallMs: 1_700_000_000_123.456 },
      { id: 48, wallMs: 1_700_000_001_000.007 },
    ]);
  });

  test("a record split across reads keeps its time", () => {
    const rec = inputEventAt(EV_KEY, 2, 1, 1_700_000_000_500.25);
    const d = new EvdevDecoder();
    expect(d.pushTimed(rec.subarray(0, 5))).toEqual([]);
    expect(d.pushTimed(rec.subarray(5))).toEqual([{ id: 2, wallMs: 1_700_000_000_500.25 }]);
  });

  test("press time = arrival minus the event's age on the wall clock", () => {
    // Read 12.5 ms after the kernel stamped it: pressed 12.5 ms before it arrived.
    expect(keyPressTime(1_700_000_000_000, 5000, 1_700_000_000_012.5)).toBe(4987.5);
    // Two key-downs of one read keep their distance.
    const a = keyPressTime(1_700_000_000_000, 5000, 1_700_000_000_020);
    const b = keyPressTime(1_700_000_000_003, 5000, 1_700_000_000_020);
    expect(b - a).toBe(3);
  });

  test("bounds: never after the arrival, never more than a second before it", () => {
    // A stamp in the future (the wall clock stepped back after the event): the arrival.
    expect(keyPressTime(1_700_000_000_100, 5000, 1_700_000_000_000)).toBe(5000);
    // A stamp from long ago (the wall clock stepped forward, or a zeroed record): 1 s before.
    expect(keyPressTime(0, 5000, 1_700_000_000_000)).toBe(5000 - MAX_KEY_AGE_MS);
    expect(keyPressTime(1_700_000_000_000 - MAX_KEY_AGE_MS, 5000, 1_700_000_000_000)).toBe(4000);
    expect(keyPressTime(Number.NaN, 5000, 1_700_000_000_000)).toBe(5000);
  });
});
