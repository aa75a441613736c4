import { describe, expect, test } from "bun:test";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { fmt, parse, Score } from "../../../src/protocols/clicker/codec.ts";
import { shown } from "../../../src/protocols/clicker/errors.ts";

describe("clicker codec: commands", () => {
  const ok: Array<[string, unknown]> = [
    ["REGISTER", { kind: "register", secret: null }],
    ["register", { kind: "register", secret: null }],
    ["ReGiStEr abc", { kind: "register", secret: "abc" }],
    ["REGISTER\r\n", { kind: "register", secret: null }],
    ["REGISTER ", { kind: "register", secret: null }],
    ["REGISTER 0123456789abcdef0123456789abcdef\n", { kind: "register", secret: "0123456789abcdef0123456789abcdef" }],
    ["SCORE 5 1", { kind: "score", ts: 5n, score: 1n, stamp: "5", tsText: "5", scoreText: "1" }],
    ["score -2147483648 -3\r\n", { kind: "score", ts: -2147483648n, score: -3n, stamp: "-2147483648", tsText: "-2147483648", scoreText: "-3" }],
    ["SCORE 4294967295 0", { kind: "score", ts: 4294967295n, score: 0n, stamp: "4294967295", tsText: "4294967295", scoreText: "0" }],
    // The value is normalised (the retry key); the spelling is kept for the SCORED echo.
    ["SCORE 007 -0", { kind: "score", ts: 7n, score: 0n, stamp: "007", tsText: "7", scoreText: "0" }],
    ["SCORE -007 0042", { kind: "score", ts: -7n, score: 42n, stamp: "-007", tsText: "-7", scoreText: "42" }],
    ["SCORE 0 -0000000000000000000000000000001", { kind: "score", ts: 0n, score: -1n, stamp: "0", tsText: "0", scoreText: "-1" }],
    ["SCORE 999999999999999 -999999999999999", { kind: "score", ts: 999999999999999n, score: -999999999999999n, stamp: "999999999999999", tsText: "999999999999999", scoreText: "-999999999999999" }],
    ["Score 1234567890123456 1", { kind: "score", ts: 1234567890123456n, score: 1n, stamp: "1234567890123456", tsText: "1234567890123456", scoreText: "1" }],
    ["SCORE -0 1", { kind: "score", ts: 0n, score: 1n, stamp: "-0", tsText: "0", scoreText: "1" }],
    [`SCORE ${Number.MAX_SAFE_INTEGER} ${Number.MIN_SAFE_INTEGER}`, { kind: "score", ts: BigInt(Number.MAX_SAFE_INTEGER), score: BigInt(Number.MIN_SAFE_INTEGER), stamp: String(Number.MAX_SAFE_INTEGER), tsText: String(Number.MAX_SAFE_INTEGER), scoreText: String(Number.MIN_SAFE_INTEGER) }],
    // Signed 64-bit, exact past 2^53 (a double would round 2^53 + 1 down).
    ["SCORE 9007199254740993 -9223372036854775808", { kind: "score", ts: 9007199254740993n, score: -9223372036854775808n, stamp: "9007199254740993", tsText: "9007199254740993", scoreText: "-9223372036854775808" }],
    ["SCORE 9223372036854775807 0", { kind: "score", ts: 9223372036854775807n, score: 0n, stamp: "9223372036854775807", tsText: "9223372036854775807", scoreText: "0" }],
    ["LISTEN 000001", { kind: "listen", ids: ["000001"] }],
    ["listen 000001,000002 000003", { kind: "listen", ids: ["000001", "000002", "000003"] }],
    ["LISTEN 000002, 000001,000002,", { kind: "listen", ids: ["000002", "000001"] }],
    ["LISTEN 123456\r\n", { kind: "listen", ids: ["123456"] }],
  ];
  for (const [line, want] of ok) test(JSON.stringify(line), () => expect(parse(line)).toEqual(want as any));

  test("every parsed SCORE fits the Score schema (plain spellings included)", () => {
    const check = TypeCompiler.Compile(Score);
    for (const [line, want] of ok) if ((want as { kind: string }).kind === "score") expect(check.Check(parse(line))).toBe(true);
  });
});

describe("clicker codec: errors", () => {
  const bad: Array<[string | Uint8Array, string]> = [
    ["", "unknown_command"],
    ["\r\n", "unknown_command"],
    ["007", "unknown_command"],
    ['"x"', "unknown_command"],
    ["3", "unknown_command"],
    ["HELLO", "unknown_command"],
    [" SCORE 1 2", "unknown_command"],
    ["ſcore 1 2", "unknown_command"], // "ſ".toUpperCase() is "S": only ASCII spells a verb
    ["lıSTEN 000001", "unknown_command"],
    ["SCORE", "bad_arguments"],
    ["SCORE 1", "bad_arguments"],
    ["SCORE 1  2", "bad_arguments"],
    ["SCORE 1 2 ", "bad_arguments"],
    ["SCORE  2", "bad_arguments"],
    ["SCORE 1 ", "bad_arguments"],
    ["score 1  2", "bad_arguments"],
    ["SCORE --1 1", "bad_arguments"],
    ["SCORE 1-2 3", "bad_arguments"],
    ["SCORE 1/ 1", "bad_arguments"], // the characters just below and above the digits
    ["SCORE 1 1:", "bad_arguments"],
    ["SCORE \u0661 1", "bad_arguments"], // an Arabic-Indic digit is not a decimal digit here
    ["SCORE 1 12345678901234567x", "bad_arguments"],
    ["SCORE 1.5 2", "bad_arguments"],
    ["SCORE 1 1e3", "bad_arguments"],
    ["SCORE 0x10 1", "bad_arguments"],
    ["SCORE +1 1", "bad_arguments"],
    ["SCORE a b", "bad_arguments"],
    ["SCORE - 1", "bad_arguments"],
    ["SCORE 1 NaN", "bad_arguments"],
    ["SCORE 9223372036854775808 1", "bad_arguments"],
    ["SCORE 1 -9223372036854775809", "bad_arguments"],
    ["SCORE 1 " + "9".repeat(400), "bad_arguments"],
    ["REGISTER a b", "bad_arguments"],
    ["REGISTER  ", "bad_arguments"],
    ["LISTEN", "bad_arguments"],
    ["LISTEN ", "bad_arguments"],
    ["LISTEN ,", "bad_arguments"],
    ["LISTEN 12345", "bad_arguments"],
    ["LISTEN 1234567", "bad_arguments"],
    ["LISTEN 000001 abcdef", "bad_arguments"],
    [new Uint8Array([83, 67, 79, 82, 69]), "bad_arguments"],
  ];
  for (const [line, code] of bad) {
    test(typeof line === "string" ? JSON.stringify(line) : "binary frame", () => {
      const r = parse(line);
      expect(r.kind).toBe("error");
      if (r.kind === "error") {
        expect(r.code).toBe(code as any);
        expect(r.message).toMatch(/^[\x20-\x7e]+$/);
      }
    });
  }

  test("the unknown verb is quoted back as sent, printable and short", () => {
    const r = parse("007");
    expect(r.kind === "error" && r.message).toBe("unknown command 007");
    expect(shown("a\u0000b\u00e9")).toBe("a?b?");
    expect(shown("x".repeat(100))).toBe("x".repeat(32) + "...");
  });
});

describe("clicker codec: replies", () => {
  test("upper case, single spaces", () => {
    expect(fmt.registered("000042", "ab")).toBe("REGISTERED 000042 ab");
    expect(fmt.scored(-5n)).toBe("SCORED -5");
    expect(fmt.scored("007")).toBe("SCORED 007");
    expect(fmt.connect([])).toBe("CONNECT");
    expect(fmt.connect(["000001", "000002"])).toBe("CONNECT 000001 000002");
    expect(fmt.disconnect("000001")).toBe("DISCONNECT 000001");
    expect(fmt.score(4294967295n, "000001", -1n)).toBe("SCORE 4294967295 000001 -1");
    expect(fmt.error("not_registered", "send REGISTER first")).toBe("ERROR not_registered send REGISTER first");
  });
});
