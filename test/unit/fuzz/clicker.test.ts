// Fuzzing the clicker line codec (docs/clicker.md#commands, #errors): whatever a frame holds,
// parse() returns a command of the grammar or one of the documented error codes, never throws;
// every valid line, in any verb case and with any tolerated line end, parses back to what was
// written; integers are accepted exactly inside the signed 64-bit range.
//
// The grammar is a table (GRAMMAR): a new command form (draft-2's SUBSCRIBE, say) is one more
// entry, with its generator and what it must parse to.
import { describe, expect, test } from "bun:test";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import type { TSchema } from "@sinclair/typebox";
import { fmt, INT_MAX, INT_MIN, Listen, parse, Register, Score } from "../../../src/protocols/clicker/codec.ts";
import { anyText, check, fc, oddString } from "./fuzz.ts";

/** The error codes of docs/clicker.md#errors. */
const CODES = new Set(["unknown_command", "bad_arguments", "not_registered", "rate_limited", "storage_unavailable"]);

/** Schemas of the parsed commands, by kind: a parse result of a known kind must satisfy its own. */
const SCHEMAS: Record<string, TSchema> = { register: Register, score: Score, listen: Listen };
const compiled = Object.fromEntries(Object.entries(SCHEMAS).map(([k, s]) => [k, TypeCompiler.Compile(s)]));

/** A valid line as tokens after the verb, and the fields its parse must carry. */
interface Line {
  verb: string;
  args: string[];
  expect: Record<string, unknown>;
}

/** A signed 64-bit integer, weighted towards the edges and 32-bit counters. */
const int64 = fc.oneof(
  fc.bigInt({ min: INT_MIN, max: INT_MAX }),
  fc.bigInt({ min: -(2n ** 31n), max: 2n ** 32n }),
  fc.constantFrom(INT_MIN, INT_MAX, 0n, -1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 999999999999999n, 10n ** 15n),
);
/** Its spelling: plain, with leading zeros, or -0 for zero. */
const spelled = (n: fc.Arbitrary<bigint>) =>
  fc.tuple(n, fc.nat({ max: 3 }), fc.boolean()).map(([v, zeros, negZero]) => {
    const digits = "0".repeat(zeros) + (v < 0n ? -v : v).toString();
    return { value: v, token: v < 0n || (v === 0n && negZero) ? `-${digits}` : digits };
  });

const senderId = fc.integer({ min: 0, max: 999999 }).map((n) => String(n).padStart(6, "0"));
/** Secrets as the server issues them, or any other token a device might hold. */
const secret = fc.oneof(
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString("hex")),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }).filter((s) => !/[ \r\n]/.test(s)),
);

const GRAMMAR: Record<string, fc.Arbitrary<Line>> = {
  register: fc.option(secret).map((s) => ({ verb: "REGISTER", args: s === null ? [] : [s], expect: { kind: "register", secret: s } })),
  score: fc.tuple(spelled(int64), spelled(int64)).map(([t, s]) => ({
    verb: "SCORE",
    args: [t.token, s.token],
    expect: { kind: "score", ts: t.value, score: s.value, stamp: t.token, tsText: String(t.value), scoreText: String(s.value) },
  })),
  listen: fc.tuple(fc.array(senderId, { minLength: 1, maxLength: 12 }), fc.constantFrom(" ", ",", ", ", " ,", ",,")).map(([ids, sep]) => ({
    verb: "LISTEN",
    args: ids.join(sep).split(" "),
    expect: { kind: "listen", ids: [...new Set(ids)] },
  })),
};

const validLine = fc.oneof(...Object.values(GRAMMAR));
const lineEnd = fc.constantFrom("", "\r\n", "\n", "\r");
const render = (verb: string, args: string[]) => [verb, ...args].join(" ");

/** A valid line with one token changed, dropped or added, or its spacing or verb spelling broken. */
const nearValidLine = fc.tuple(validLine, fc.nat(), oddString, fc.nat({ max: 6 })).map(([l, pick, junk, op]) => {
  const tokens = [l.verb, ...l.args];
  const i = pick % tokens.length;
  switch (op) {
    case 0: tokens[i] = junk; break;
    case 1: tokens.splice(i, 1); break;
    case 2: tokens.splice(i, 0, junk); break;
    case 3: return tokens.join("  ");
    case 4: return ` ${tokens.join(" ")}`;
    case 5: tokens[0] = tokens[0]!.replace("S", "ſ").replace("E", "Е"); break; // long s, Cyrillic Е
    default: return tokens.join(" ").slice(0, pick % (tokens.join(" ").length + 1));
  }
  return tokens.join(" ");
});

/** What every parse result must be: a command of the grammar, or an error of the catalogue. */
function wellFormed(frame: string | Uint8Array): void {
  const r = parse(frame);
  if (r.kind === "error") {
    expect(CODES.has(r.code)).toBe(true);
    // The ERROR reply is one line of printable ASCII (tokens are quoted through shown()).
    expect(fmt.error(r.code, r.message)).toMatch(/^ERROR [a-z_]+ [\x20-\x7e]+$/);
    return;
  }
  expect(typeof r.kind).toBe("string");
  const schema = compiled[r.kind];
  if (schema) expect(schema.Check(r)).toBe(true);
}

describe("clicker codec fuzz", () => {
  test("any text or bytes: a command of the grammar or a documented error, never a throw", () => {
    check("clicker any text", anyText, wellFormed, { runs: 1500 });
    check("clicker any bytes", fc.uint8Array({ maxLength: 64 }), (b) => {
      const r = parse(b);
      expect(r.kind === "error" && r.code === "bad_arguments").toBe(true);
    });
  });

  test("near-valid lines: a command of the grammar or a documented error", () => {
    check("clicker near-valid", fc.tuple(nearValidLine, lineEnd).map(([l, e]) => l + e), wellFormed, { runs: 1500 });
  });

  test("every valid line parses to what was written, in any verb case and with any line end", () => {
    const arb = fc.tuple(validLine, lineEnd).chain(([l, end]) => fc.mixedCase(fc.constant(l.verb)).map((verb) => ({ l, text: render(verb, l.args) + end })));
    check("clicker round trip", arb, ({ l, text }) => {
      expect(parse(text)).toMatchObject(l.expect);
    }, { runs: 1500 });
  });

  test("SCORE takes exactly the decimal integers of the signed 64-bit range", () => {
    const token = fc.oneof(
      spelled(fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n })).map((s) => s.token),
      spelled(fc.constantFrom(INT_MAX, INT_MAX + 1n, INT_MIN, INT_MIN - 1n, 2n ** 64n)).map((s) => s.token),
      fc.stringMatching(/^[-+]?[0-9a-fxe.]{0,22}$/),
      oddString,
    );
    check("clicker score integers", fc.tuple(token, token), ([a, b]) => {
      const ok = (t: string) => /^-?[0-9]+$/.test(t) && BigInt(t) >= INT_MIN && BigInt(t) <= INT_MAX;
      const r = parse(`SCORE ${a} ${b}`);
      if (/[\r\n]/.test(a + b)) wellFormed(`SCORE ${a} ${b}`); // a line end of its own: stripped or refused
      else if (ok(a) && ok(b)) expect(r).toMatchObject({ kind: "score", ts: BigInt(a), score: BigInt(b), stamp: a });
      else if (/^[^ ]+$/.test(a) && /^[^ ]+$/.test(b)) expect(r).toMatchObject({ kind: "error", code: "bad_arguments" });
      else wellFormed(`SCORE ${a} ${b}`);
    }, { runs: 2000 });
  });

  test("a verb that is not ASCII letters is an unknown command, whatever follows", () => {
    const verb = fc.string({ unit: "binary", minLength: 1, maxLength: 12 }).filter((v) => !/^[A-Za-z]+$/.test(v) && !/[ \r\n]/.test(v));
    check("clicker odd verbs", fc.tuple(verb, fc.array(oddString, { maxLength: 3 })), ([v, args]) => {
      expect(parse(render(v, args))).toMatchObject({ kind: "error", code: "unknown_command" });
    });
  });
});
