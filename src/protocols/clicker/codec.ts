// Clicker line protocol (docs/clicker.md): one command per text frame, tokens separated by
// single spaces, verbs case-insensitive, a trailing \r\n tolerated. Draft-1 and draft-2 are told
// apart by the form of each command (docs/clicker.md#draft-2): SCORE with three arguments and
// SUBSCRIBE are draft-2. Pure: text in, a typed command or an error value out; replies are
// formatted here too.
import { Type, type Static } from "@sinclair/typebox";
import { compileOnUse } from "../../schema.ts";
import { fail, Says, type ErrorCode, type ParseError } from "./errors.ts";


/**
 * SCORE's timestamp and score are integers (docs/clicker.md#score). Decimal digits with an optional
 * '-', held as bigint so every signed 64-bit value (SQLite's INTEGER) stays exact; a double would
 * round past 2^53 and merge distinct timestamps into one retry key. Clickers send 32-bit ms
 * counters that may be negative or wrap, a small subset of this range.
 */
export const INT_MIN = -(2n ** 63n);
export const INT_MAX = 2n ** 63n - 1n;
// Bounds as powers of two: TypeBox's compiled check spells them as BigInt(<number literal>), and
// 2^63 - 1 as a double is 2^63, which would let 2^63 through; -2^63 and 2^63 are exact doubles.
export const Int = Type.BigInt({ minimum: INT_MIN, exclusiveMaximum: INT_MAX + 1n });
/**
 * A draft-2 msgId: a counter that grows by 1 per SCORE (docs/clicker.md#draft-2). Non-negative
 * and at most 2^53 - 1, so gap sizes and the JSON of the gaps feed stay exact as numbers.
 */
export const MSG_ID_MAX = 2n ** 53n - 1n;
/** Ids are 6-digit decimal strings (docs/clicker.md#register). */
export const SenderId = Type.String({ pattern: "^[0-9]{6}$" });
export type SenderId = Static<typeof SenderId>;

export const Register = Type.Object({ kind: Type.Literal("register"), secret: Type.Union([Type.String({ minLength: 1 }), Type.Null()]) });
export type Register = Static<typeof Register>;
/**
 * `stamp` is the timestamp token exactly as sent: SCORED echoes it (docs/clicker.md#score;
 * docs/common.md#raw-frames: `007` stays `007`), so a client matching the reply against the SCORE it
 * queued finds it whether it compares strings or numbers. `ts` is its value, the retry key.
 * `tsText` and `scoreText` are the values' plain decimal spelling (`007` → `7`, `-0` → `0`), what
 * the broadcast carries: kept from the parse so the hot path never turns a bigint back into text.
 * `msgId` is draft-2's message id (absent from a draft-1 SCORE), the retry key of a draft-2
 * score; `msgStamp` its token as sent, echoed first in `SCORED <msgId> <timestamp>`.
 */
export const Score = Type.Object({
  kind: Type.Literal("score"),
  ts: Int,
  score: Int,
  stamp: Type.String({ pattern: "^-?[0-9]+$" }),
  tsText: Type.String({ pattern: "^(0|-?[1-9][0-9]*)$" }),
  scoreText: Type.String({ pattern: "^(0|-?[1-9][0-9]*)$" }),
  msgId: Type.Optional(Type.BigInt({ minimum: 0n, maximum: MSG_ID_MAX })),
  msgStamp: Type.Optional(Type.String({ pattern: "^-?[0-9]+$" })),
});
export type Score = Static<typeof Score>;
/** The draft a listener speaks: LISTEN is draft-1, SUBSCRIBE draft-2 (the broadcasts' word order). */
export type Draft = 1 | 2;
export const Listen = Type.Object({ kind: Type.Literal("listen"), ids: Type.Array(SenderId, { minItems: 1 }) });
export type Listen = Static<typeof Listen>;
/** Draft-2's LISTEN: the same ids, answered the same way; broadcasts in draft-2 order. */
export const Subscribe = Type.Object({ kind: Type.Literal("subscribe"), ids: Type.Array(SenderId, { minItems: 1 }) });
export type Subscribe = Static<typeof Subscribe>;
export type Command = Register | Score | Listen | Subscribe;


const IntCheck = compileOnUse(Int);
const IdCheck = compileOnUse(SenderId);
const INT_TOKEN = /^-?[0-9]+$/;
// ASCII letters only: toUpperCase() maps "ı" to "I" and "ſ" to "S", which would let odd
// Unicode spell a verb.
const VERB = /^[A-Za-z]+$/;
/** Up to 18 digits (with or without '-') is always inside the signed 64-bit range. */
const ALWAYS_IN_RANGE = 18;



function integer(token: string, name: string): bigint | ParseError {
  if (token === "") return fail("bad_arguments", Says.missing(name));
  const value = decimal(token);
  if (value === null) return fail("bad_arguments", Says.notInteger(name, token));
  return value;
}

/**
 * The value of an optional '-' followed by decimal digits, else null. Leading zeros and -0 fold
 * into one value: 007 and 7 are the same timestamp. Up to 15 digits the value is summed as a
 * double (exact below 2^53) while the digits are checked: cheaper than a regex and BigInt(text).
 */
function decimal(token: string): bigint | null {
  const neg = token.charCodeAt(0) === 45; // '-'
  const n = token.length;
  let i = neg ? 1 : 0;
  if (i === n) return null;
  if (n - i > 15) return INT_TOKEN.test(token) ? BigInt(token) : null;
  let v = 0;
  for (; i < n; i++) {
    const d = token.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    v = v * 10 + d;
  }
  return BigInt(neg ? -v : v);
}

/** Only a long token can leave the signed 64-bit range: the schema check runs for those alone. */
const inRange = (token: string, value: bigint) => token.length <= ALWAYS_IN_RANGE || IntCheck.Check(value);

/** The plain spelling of an integer token: the token itself unless it has a leading zero or is -0. */
function plain(token: string, value: bigint): string {
  const lead = token.charCodeAt(0) === 45 ? 1 : 0; // '-'
  return token.charCodeAt(lead) === 48 && (lead === 1 || token.length > 1) ? String(value) : token; // '0'
}

/**
 * Parses one frame. Binary frames are refused: draft-1 is a text protocol. `maxIds`: the most ids a
 * LISTEN or SUBSCRIBE may name (docs/clicker.md#caps).
 */
export function parse(frame: string | Uint8Array, maxIds = Infinity): Command | ParseError {
  if (typeof frame !== "string") return fail("bad_arguments", Says.binary);
  const line = frame.endsWith("\r\n") ? frame.slice(0, -2) : frame.endsWith("\n") || frame.endsWith("\r") ? frame.slice(0, -1) : frame;
  // SCORE is nearly all of the traffic: its exact spelling skips the verb checks below.
  if (line.startsWith("SCORE ")) return parseScore(line, 6);
  const space = line.indexOf(" ");
  const verb = space < 0 ? line : line.slice(0, space);
  if (verb === "") return fail("unknown_command", Says.empty);
  if (!VERB.test(verb)) return fail("unknown_command", Says.unknown(verb));
  switch (verb.toUpperCase()) {
    case "REGISTER":
      return parseRegister(line.split(" ").slice(1));
    case "SCORE":
      return parseScore(line, verb.length + 1);
    case "LISTEN":
      return parseListen(line.slice(space + 1), "listen", space < 0, maxIds);
    case "SUBSCRIBE":
      return parseListen(line.slice(space + 1), "subscribe", space < 0, maxIds);
    default:
      return fail("unknown_command", Says.unknown(verb));
  }
}

function parseRegister(args: string[]): Register | ParseError {
  if (args.length > 1) return fail("bad_arguments", Says.usageRegister);
  // "REGISTER " is what a client formatting `REGISTER ${secret}` sends before it has a secret:
  // an empty secret is no secret.
  const [secret = ""] = args;
  return { kind: "register", secret: secret === "" ? null : secret };
}

/**
 * The arguments start at line[at], one space between tokens: two tokens are draft-1's
 * `<timestamp> <score>`, three are draft-2's `<msgId> <timestamp> <score>`. The spaces are found
 * with indexOf, no split: this runs for nearly every frame.
 */
function parseScore(line: string, at: number): Score | ParseError {
  const first = at > line.length ? -1 : line.indexOf(" ", at);
  if (first < 0) return fail("bad_arguments", Says.usageScore);
  const second = line.indexOf(" ", first + 1);
  if (second < 0) return scoreOf(line.slice(at, first), line.slice(first + 1));
  if (line.indexOf(" ", second + 1) >= 0) return fail("bad_arguments", Says.usageScore);
  const msgStamp = line.slice(at, first);
  const msgId = integer(msgStamp, "msgId");
  if (typeof msgId !== "bigint") return msgId;
  if (msgId < 0n || msgId > MSG_ID_MAX) return fail("bad_arguments", Says.msgIdRange(MSG_ID_MAX));
  return scoreOf(line.slice(first + 1, second), line.slice(second + 1), msgId, msgStamp);
}

/** `<timestamp> <score>`, with the msgId in front for draft-2. */
function scoreOf(stamp: string, scoreToken: string, msgId?: bigint, msgStamp?: string): Score | ParseError {
  const ts = integer(stamp, "timestamp");
  if (typeof ts !== "bigint") return ts;
  const score = integer(scoreToken, "score");
  if (typeof score !== "bigint") return score;
  if (!inRange(stamp, ts) || !inRange(scoreToken, score)) return fail("bad_arguments", Says.range(INT_MIN, INT_MAX));
  const tsText = plain(stamp, ts);
  const scoreText = plain(scoreToken, score);
  return msgStamp === undefined ? { kind: "score", ts, score, stamp, tsText, scoreText } : { kind: "score", ts, score, stamp, tsText, scoreText, msgId, msgStamp };
}

/** LISTEN / SUBSCRIBE: ids separated by spaces and/or commas. Repeats are dropped, first one wins. */
function parseListen(args: string, kind: "listen" | "subscribe", bare: boolean, maxIds: number): Listen | Subscribe | ParseError {
  const ids = bare ? [] : idList(args, maxIds);
  if (!Array.isArray(ids)) return ids;
  if (ids.length === 0) return fail("bad_arguments", kind === "listen" ? Says.usageListen : Says.usageSubscribe);
  return { kind, ids };
}

/**
 * Ids separated by spaces and/or commas, repeats dropped (first one wins), or the error: more than
 * `max` of them (repeats included: they are counted before any is looked at, so an oversized list
 * costs no per-id work), or the first token that is not an id. Also the gaps feed's `ids` parameter.
 */
export function idList(text: string, max = Infinity): string[] | ParseError {
  const tokens = text.split(/[ ,]+/).filter((t) => t !== "");
  if (tokens.length > max) return fail("bad_arguments", Says.tooManyListenIds(max));
  const bad = tokens.find((t) => !IdCheck.Check(t));
  return bad !== undefined ? fail("bad_arguments", Says.badId(bad)) : [...new Set(tokens)];
}

// ---- replies (upper case, single spaces) ----
export const fmt = {
  registered: (id: string, secret: string) => `REGISTERED ${id} ${secret}`,
  scored: (stamp: string | bigint) => `SCORED ${stamp}`,
  /** Draft-2: the msgId first, both tokens as the client sent them. */
  scored2: (msgStamp: string, stamp: string) => `SCORED ${msgStamp} ${stamp}`,
  connect: (ids: readonly string[]) => (ids.length ? `CONNECT ${ids.join(" ")}` : "CONNECT"),
  disconnect: (id: string) => `DISCONNECT ${id}`,
  /** A score for a LISTEN (draft-1) listener. */
  score: (ts: bigint | string, id: string, score: bigint | string) => `SCORE ${ts} ${id} ${score}`,
  /** A score for a SUBSCRIBE (draft-2) listener: the score before the id. */
  score2: (ts: bigint | string, id: string, score: bigint | string) => `SCORE ${ts} ${score} ${id}`,
  error: (code: ErrorCode, message: string) => `ERROR ${code} ${message}`,
};
