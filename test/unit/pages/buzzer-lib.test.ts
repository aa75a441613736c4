// What the quiz pages share (src/pages/lib/buzzer.ts, docs/buzzer.md#the-quiz-board): places as
// people read them, gaps, ordinals, labels, and colours that every board, phone and light agree on.
import { describe, expect, test } from "bun:test";
import { colorOf, gapText, label, ordinal, parseFrame, places, type OrderEntry } from "../../../src/pages/lib/buzzer.ts";

const e = (pool: string, buzzer: number, ts: number, gap_ms: number, name: string | null = null): OrderEntry => ({ pool, buzzer, name, ts, gap_ms });

describe("quiz page helpers", () => {
  test("ordinals, including the teens", () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112].map(ordinal)).toEqual(["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th", "112th"]);
  });

  test("gaps in whole ms, seconds once they are long", () => {
    expect(gapText(34.4)).toBe("+34 ms");
    expect(gapText(0.6)).toBe("+1 ms");
    expect(gapText(9999.4)).toBe("+9999 ms");
    expect(gapText(12_345)).toBe("+12.35 s");
  });

  test("labels: the name, else pool and buzzer", () => {
    expect(label("/dev/ttyACM0", 2, null)).toBe("/dev/ttyACM0 2");
    expect(label("/dev/ttyACM0", 2, "Quizzly Bears")).toBe("Quizzly Bears");
  });

  test("places: the order until the winner is final; then the winner first and the gaps behind it", () => {
    const order = [e("p", 1, 100, 0), e("p", 2, 134, 34), e("phones", 7, 150, 50)];
    expect(places(order, null).map((x) => [x.entry.buzzer, x.place, x.gap])).toEqual([
      [1, 1, 0],
      [2, 2, 34],
      [7, 3, 50],
    ]);
    // A press that came in after the decision with an earlier press time stands first in the
    // order, but the winner stays first and the late one is placed after it.
    const late = [e("phones", 9, 90, 0), e("p", 1, 100, 10), e("p", 2, 134, 44)];
    expect(places(late, { pool: "p", buzzer: 1, name: null, ts: 100 }).map((x) => [x.entry.buzzer, x.place, x.gap, x.winner])).toEqual([
      [1, 1, 0, true],
      [9, 2, 0, false],
      [2, 3, 34, false],
    ]);
  });

  test("colours: the same for the same buzzer, twelve different ones for buzzers 1..12 of a pool", () => {
    expect(colorOf("/dev/ttyACM0", 3)).toEqual(colorOf("/dev/ttyACM0", 3));
    const set = new Set(Array.from({ length: 12 }, (_, i) => colorOf("/dev/ttyACM0", i + 1).join(",")));
    expect(set.size).toBe(12);
    for (const c of colorOf("phones", 1)) expect(Number.isInteger(c) && c >= 0 && c <= 255).toBe(true);
  });

  test("frames: JSON objects only", () => {
    expect(parseFrame('{"event":"armed","round":1,"ts":5}')).toEqual({ event: "armed", round: 1, ts: 5 });
    expect(parseFrame("not json")).toBeNull();
    expect(parseFrame("42")).toBeNull();
    expect(parseFrame(new TextEncoder().encode('{"response":"names","names":[]}').buffer as ArrayBuffer)).toEqual({ response: "names", names: [] });
  });
});
