// The clicker's error catalogue (docs/clicker.md#errors): `ERROR <code> <message>` lines, an
// extension that the original clients may ignore.

export type ErrorCode = "unknown_command" | "bad_arguments" | "not_registered" | "rate_limited" | "storage_unavailable" | "too_many_new_ids";

/** A command that could not be parsed (errors as values). */
export interface ParseError {
  kind: "error";
  code: ErrorCode;
  message: string;
}

export const fail = (code: ErrorCode, message: string): ParseError => ({ kind: "error", code, message });

/** A token quoted back in an error message: printable ASCII only, and short. */
export function shown(token: string): string {
  const clean = token.replace(/[^\x20-\x7e]/g, "?");
  return clean.length > 32 ? clean.slice(0, 32) + "..." : clean;
}

/** What each error says. */
export const Says = {
  missing: (name: string) => `${name} is missing`,
  notInteger: (name: string, token: string) => `${name} must be a decimal integer, got ${shown(token)}`,
  binary: "binary frames are not supported, send text",
  empty: "empty command",
  unknown: (verb: string) => `unknown command ${shown(verb)}`,
  usageRegister: "usage: REGISTER [secret]",
  usageScore: "usage: SCORE <timestamp> <score> or SCORE <msgId> <timestamp> <score>",
  usageListen: "usage: LISTEN <ids>",
  usageSubscribe: "usage: SUBSCRIBE <ids>",
  range: (min: bigint, max: bigint) => `integers must be between ${min} and ${max}`,
  msgIdRange: (max: bigint) => `msgId must be between 0 and ${max}`,
  badId: (token: string) => `ids are 6 digits, got ${shown(token)}`,
  tooManyListenIds: (max: number) => `at most ${max} ids at once`,
  /** The address had its share of new secrets this minute (docs/clicker.md#caps). */
  tooManyNewIds: (seconds: number) => `too many new ids from this address: try again in ${seconds} s, or send your secret`,
  noFreeId: "every id is in use by a connection now: try again later",
  registerFirst: "send REGISTER before SCORE",
  /** The database could not write (disk full, I/O error): nothing was stored, send it again later. */
  notStored: (why: string) => `not stored, send it again later (${why})`,
  // GET /scores.csv (docs/clicker.md#csv-export): answered 400 with one of these as its text.
  exportUsage: "usage: /scores.csv?ids=<ids>, one or more 6-digit clicker ids separated by commas",
  tooManyIds: (max: number, got: number) => `at most ${max} ids per request, got ${got}`,
} as const;
