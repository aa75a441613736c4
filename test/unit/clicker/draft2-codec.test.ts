// Draft-2 on the clicker codec (docs/clicker.md#draft-2): SCORE with three arguments carries a
// msgId, SUBSCRIBE is draft-2's LISTEN; draft-1 commands parse exactly as before.
import { describe, expect, test } from "bun:test";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { fmt, idList, MSG_ID_MAX, parse, Score } from "../../../src/protocols/clicker/codec.ts";

describe("draft-2 SCORE <msgId> <timestamp> <score>", () => {
  test("the Espruino client's line: msgId, Date.now()|0 (negative), the count", () => {
    const ts = 1763780000123 | 0;
    expect(parse(`SCORE 12 ${ts} 7`)).toEqual({ kind: "score", ts: BigInt(ts), score: 7n, stamp: String(ts), tsText: String(ts), scoreText: "7", msgId: 12n, msgStamp: "12" });
  });

  test("spellings are kept for SCORED, values normalised; verbs in any case; \\r\\n tolerated", () => {
    expect(parse("score 007 -0 0042\r\n")).toEqual({ kind: "score", ts: 0n, score: 42n, stamp: "-0", tsText: "0", scoreText: "42", msgId: 7n, msgStamp: "007" });
    expect(parse(`SCORE ${MSG_ID_MAX} 1 1`)).toMatchObject({ msgId: MSG_ID_MAX, msgStamp: String(MSG_ID_MAX) });
    expect(parse("SCORE 0 9223372036854775807 -9223372036854775808")).toMatchObject({ msgId: 0n, ts: 2n ** 63n - 1n, score: -(2n ** 63n) });
  });

  test("draft-1 SCORE has no msgId at all", () => {
    const d1 = parse("SCORE 5 1");
    expect(d1).toEqual({ kind: "score", ts: 5n, score: 1n, stamp: "5", tsText: "5", scoreText: "1" });
    expect("msgId" in d1).toBe(false);
  });

  test("every parsed SCORE of either draft fits the Score schema", () => {
    const check = TypeCompiler.Compile(Score);
    for (const line of ["SCORE 1 2", "SCORE 1 2 3", "SCORE 007 -0 0042", `SCORE ${MSG_ID_MAX} 1 1`]) expect(check.Check(parse(line))).toBe(true);
  });

  const bad: Array<[string, string]> = [
    ["SCORE 1 2 3 4", "usage: SCORE <timestamp> <score> or SCORE <msgId> <timestamp> <score>"],
    ["SCORE 1 2  3", "usage: SCORE <timestamp> <score> or SCORE <msgId> <timestamp> <score>"],
    ["SCORE 1 2 3 ", "usage: SCORE <timestamp> <score> or SCORE <msgId> <timestamp> <score>"],
    ["SCORE  1 2", "msgId is missing"],
    ["SCORE x 1 2", "msgId must be a decimal integer, got x"],
    ["SCORE 1.0 1 2", "msgId must be a decimal integer, got 1.0"],
    ["SCORE -1 1 2", `msgId must be between 0 and ${MSG_ID_MAX}`],
    [`SCORE ${MSG_ID_MAX + 1n} 1 2`, `msgId must be between 0 and ${MSG_ID_MAX}`],
    ["SCORE 1 x 2", "timestamp must be a decimal integer, got x"],
    ["SCORE 1 2 y", "score must be a decimal integer, got y"],
    ["SCORE 1 9223372036854775808 2", "integers must be between -9223372036854775808 and 9223372036854775807"],
  ];
  for (const [line, message] of bad) {
    test(`bad_arguments: ${JSON.stringify(line)}`, () => expect(parse(line)).toEqual({ kind: "error", code: "bad_arguments", message }));
  }
});

describe("SUBSCRIBE <ids>", () => {
  test("ids as LISTEN takes them: spaces and/or commas, repeats dropped, any case", () => {
    expect(parse("SUBSCRIBE 000001")).toEqual({ kind: "subscribe", ids: ["000001"] });
    expect(parse("subscribe 000002, 000001,000002 000003\r\n")).toEqual({ kind: "subscribe", ids: ["000002", "000001", "000003"] });
    expect(parse("LISTEN 000001")).toEqual({ kind: "listen", ids: ["000001"] });
  });

  test("errors as for LISTEN", () => {
    expect(parse("SUBSCRIBE")).toEqual({ kind: "error", code: "bad_arguments", message: "usage: SUBSCRIBE <ids>" });
    expect(parse("SUBSCRIBE , ,")).toEqual({ kind: "error", code: "bad_arguments", message: "usage: SUBSCRIBE <ids>" });
    expect(parse("SUBSCRIBE 000001,12345")).toEqual({ kind: "error", code: "bad_arguments", message: "ids are 6 digits, got 12345" });
  });

  test("idList: the list, or the error for the first token that is not an id, or for too many", () => {
    expect(idList("000003,000001 000003")).toEqual(["000003", "000001"]);
    expect(idList("")).toEqual([]);
    expect(idList("000001,abc")).toEqual({ kind: "error", code: "bad_arguments", message: "ids are 6 digits, got abc" });
    expect(idList("000001 000002", 2)).toEqual(["000001", "000002"]);
    expect(idList("000001 000002 000001", 2)).toEqual({ kind: "error", code: "bad_arguments", message: "at most 2 ids at once" });
  });

  test("a LISTEN or SUBSCRIBE naming more ids than allowed is bad_arguments, before any id is looked at", () => {
    const ids = (n: number, bad = "") => Array.from({ length: n }, (_, i) => String(i + 1).padStart(6, "0")).join(" ") + bad;
    expect(parse(`LISTEN ${ids(256)}`, 256)).toMatchObject({ kind: "listen", ids: expect.any(Array) });
    expect(parse(`LISTEN ${ids(257)}`, 256)).toEqual({ kind: "error", code: "bad_arguments", message: "at most 256 ids at once" });
    expect(parse(`SUBSCRIBE ${ids(300, " nope")}`, 256)).toEqual({ kind: "error", code: "bad_arguments", message: "at most 256 ids at once" });
    expect(parse(`LISTEN ${ids(3)}`)).toMatchObject({ kind: "listen" }); // no limit unless given
  });
});

describe("draft-2 replies", () => {
  test("SCORED <msgId> <timestamp>; broadcasts with the score before the id", () => {
    expect(fmt.scored2("007", "-5")).toBe("SCORED 007 -5");
    expect(fmt.score2(-5n, "000001", 3n)).toBe("SCORE -5 3 000001");
    expect(fmt.score("-5", "000001", "3")).toBe("SCORE -5 000001 3");
  });
});
