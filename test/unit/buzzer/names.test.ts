// Buzzer names are composed after the hidden characters are removed, so normalising a name twice
// changes nothing (docs/buzzer.md#the-game, Names). Found by the codec fuzzing
// (test/unit/fuzz/buzzer.test.ts): "e\u2066\u0301" came out as a decomposed "e\u0301".
import { describe, expect, test } from "bun:test";
import { normalizeName, parse } from "../../../src/protocols/buzzer/codec.ts";

describe("buzzer names", () => {
  test("a direction control between a letter and its accent: the name comes out composed", () => {
    expect(normalizeName("e\u2066\u0301")).toBe("\u00e9");
    expect(normalizeName("Zo\u202e\u0308e")).toBe("Z\u00f6e");
    expect(parse(JSON.stringify({ command: "set_name", pool: "p", buzzer: 1, name: "Andr\u202ae\u0301" }))).toEqual({ kind: "set_name", pool: "p", buzzer: 1, name: "Andr\u00e9" });
  });

  test("a name the server sent back is kept as it is", () => {
    for (const raw of ["e\u2066\u0301", "  A\u0000\u0000B  ", "Quizzly Bears", "\u00e9\u200d\u00e9"]) {
      const once = normalizeName(raw)!;
      expect(normalizeName(once)).toBe(once);
    }
  });
});
