// Clicker draft-1 line protocol (PROTOCOLS.md §3, seed 002): one command per text frame,
// tokens separated by single spaces, verbs case-insensitive, a trailing \r\n tolerated.
// Pure: text in, a typed command or an error value out; replies are formatted here too.
import { Type, type Static } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";

/** §3 Errors: the extension's error codes. */
export type ErrorCode = "unknown_command" | "bad_arguments" | "not_registered" | "rate_limited";

/**
 * Integers are whole decimal numbers without a sign other than '-', and within the safe
 * integer range so they survive JSON, SQLite and JavaScript unchanged. Clickers send 32-bit
 * ms counters that may be negative or wrap (§3), a small subset of this range.
 */
export const Int = Type.Integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER });
/** Ids are 6-digit decimal strings (§3 REGISTER). */
export const SenderId = Type.String({ pattern: "^[0-9]{6}$" });
export type SenderId = Static<typeof SenderId>;

export const Register = Type.Object({ kind: Type.Literal("register"), secret: Type.Union([Type.String({ minLength: 1 }), Type.Null()]) });
export type Register = Static<typeof Register>;
export const Score = Type.Object({ kind: Type.Literal("score"), ts: Int, score: Int });
export type Score = Static<typeof Score>;
export const Listen = Type.Object({ kind: Type.Literal("listen"), ids: Type.Array(SenderId, { minItems: 1 }) });
export type Listen = Static<typeof Listen>;
export type Command = Register | Score | Listen;

export interface ParseError {
  kind: "error";
  code: ErrorCode;
  message: string;
}

const ScoreCheck = TypeCompiler.Compile(Score);
const IdCheck = TypeCompiler.Compile(SenderId);
const INT_TOKEN = /^-?[0-9]+$/;
// ASCII letters only: toUpperCase() maps "ı" to "I" and "ſ" to "S", which would let odd
// Unicode spell a verb.
const VERB = /^[A-Za-z]+$/;

const fail = (code: ErrorCode, message: string): ParseError => ({ kind: "error", code, message });

/** A token quoted back in an error message: printable ASCII only, and short. */
export function shown(token: string): string {
  const clean = token.replace(/[^\x20-\x7e]/g, "?");
  return clean.length > 32 ? clean.slice(0, 32) + "..." : clean;
}

function integer(token: string | undefined, name: string): number | ParseError {
  if (token === undefined || token === "") return fail("bad_arguments", `${name} is missing`);
  if (!INT_TOKEN.test(token)) return fail("bad_arguments", `${name} must be a decimal integer, got ${shown(token)}`);
  const n = Number(token);
  // -0 is the integer 0; the reply and the database then agree on one spelling.
  return n === 0 ? 0 : n;
}

/** Parses one frame. Binary frames are refused: draft-1 is a text protocol. */
export function parse(frame: string | Uint8Array): Command | ParseError {
  if (typeof frame !== "string") return fail("bad_arguments", "binary frames are not supported, send text");
  const line = frame.endsWith("\r\n") ? frame.slice(0, -2) : frame.endsWith("\n") || frame.endsWith("\r") ? frame.slice(0, -1) : frame;
  const [verb = "", ...args] = line.split(" ");
  if (verb === "") return fail("unknown_command", "empty command");
  if (!VERB.test(verb)) return fail("unknown_command", `unknown command ${shown(verb)}`);
  switch (verb.toUpperCase()) {
    case "REGISTER":
      return parseRegister(args);
    case "SCORE":
      return parseScore(args);
    case "LISTEN":
      return parseListen(args);
    default:
      return fail("unknown_command", `unknown command ${shown(verb)}`);
  }
}

function parseRegister(args: string[]): Register | ParseError {
  if (args.length > 1) return fail("bad_arguments", "usage: REGISTER [secret]");
  // "REGISTER " is what a client formatting `REGISTER ${secret}` sends before it has a secret:
  // an empty secret is no secret.
  const [secret = ""] = args;
  return { kind: "register", secret: secret === "" ? null : secret };
}

function parseScore(args: string[]): Score | ParseError {
  if (args.length !== 2) return fail("bad_arguments", "usage: SCORE <timestamp> <score>");
  const ts = integer(args[0], "timestamp");
  if (typeof ts !== "number") return ts;
  const score = integer(args[1], "score");
  if (typeof score !== "number") return score;
  const cmd: Score = { kind: "score", ts, score };
  if (!ScoreCheck.Check(cmd)) return fail("bad_arguments", `integers must be between ${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`);
  return cmd;
}

/** §3 LISTEN: ids separated by spaces and/or commas. Repeats are dropped, first one wins. */
function parseListen(args: string[]): Listen | ParseError {
  const tokens = args.join(" ").split(/[ ,]+/).filter((t) => t !== "");
  if (tokens.length === 0) return fail("bad_arguments", "usage: LISTEN <ids>");
  const bad = tokens.find((t) => !IdCheck.Check(t));
  if (bad !== undefined) return fail("bad_arguments", `ids are 6 digits, got ${shown(bad)}`);
  return { kind: "listen", ids: [...new Set(tokens)] };
}

// ---- replies (upper case, single spaces) ----
export const fmt = {
  registered: (id: string, secret: string) => `REGISTERED ${id} ${secret}`,
  scored: (ts: number) => `SCORED ${ts}`,
  connect: (ids: readonly string[]) => (ids.length ? `CONNECT ${ids.join(" ")}` : "CONNECT"),
  disconnect: (id: string) => `DISCONNECT ${id}`,
  score: (ts: number, id: string, score: number) => `SCORE ${ts} ${id} ${score}`,
  error: (code: ErrorCode, message: string) => `ERROR ${code} ${message}`,
};
