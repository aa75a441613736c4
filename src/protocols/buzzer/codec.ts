// /mediator wire format (PROTOCOLS.md §5, seed 004): JSON text frames. parse() turns one frame
// into a typed command or one of the seed's error replies (errors as values); the reply
// builders produce the exact seed shapes.
import { Type, type Static } from "@sinclair/typebox";
import { compileOnUse } from "../../schema.ts";

export type Rgb = [number, number, number];

export type ErrorType = "connect" | "invalid_json" | "unknown_command" | "invalid_data_type" | "rate_limited" | "forbidden";
/** The seed's uniform error: {"error","message","cause"}, message/cause may be null. */
export interface ErrorReply {
  error: ErrorType;
  message: string | null;
  cause: string | null;
}

export type Command =
  | { kind: "list_buzzers" }
  | { kind: "list_pools" }
  | { kind: "connect"; pool: string }
  | { kind: "disconnect"; pool: string }
  | { kind: "set_color"; pool: string; buzzer: number; color: Rgb };

const Byte = Type.Integer({ minimum: 0, maximum: 255 });
const PoolId = Type.String({ minLength: 1 });

export const PoolCommand = Type.Object({ command: Type.String(), pool: PoolId });
export type PoolCommand = Static<typeof PoolCommand>;
export const SetColorCommand = Type.Object({ command: Type.String(), pool: PoolId, buzzer: Byte, color: Type.Tuple([Byte, Byte, Byte]) });
export type SetColorCommand = Static<typeof SetColorCommand>;

const checkPool = compileOnUse(PoolCommand);
const checkSetColor = compileOnUse(SetColorCommand);

/** What each field must be: the `message` of an invalid_data_type error (seed: "Error message"). */
const EXPECTED: Record<string, string> = {
  list: "expected a string: \"buzzers\" or \"pools\"",
  command: "expected a string: \"connect\", \"disconnect\" or \"set_color\"",
  pool: "expected a non-empty string (a pool id)",
  buzzer: "expected an integer buzzer id 0..255",
  color: "expected [r, g, b] with integers 0..255",
};

export const errorReply = (error: ErrorType, message: string | null, cause: string | null): ErrorReply => ({ error, message, cause });
/** A command that needs operator rights, from a client without them (docs/buzzer.md#operator-commands). */
export const forbidden = (command: string): ErrorReply =>
  errorReply("forbidden", "this command needs operator rights: open the console URL the server logs, or send Authorization: Bearer <operator token>", command);
export const invalidField = (field: string, message = EXPECTED[field] ?? "invalid value"): ErrorReply =>
  errorReply("invalid_data_type", message, field);

export function parse(raw: string): Command | ErrorReply {
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    return errorReply("invalid_json", null, raw);
  }
  if (typeof msg !== "object" || msg === null || Array.isArray(msg)) return errorReply("unknown_command", null, raw);
  const o = msg as Record<string, unknown>;
  if ("command" in o) {
    if (typeof o.command !== "string") return invalidField("command");
    switch (o.command) {
      case "connect":
      case "disconnect":
        if (!checkPool.Check(o)) return invalidField(firstBadField(checkPool.Errors(o)));
        return { kind: o.command, pool: o.pool };
      case "set_color":
        if (!checkSetColor.Check(o)) return invalidField(firstBadField(checkSetColor.Errors(o)));
        return { kind: "set_color", pool: o.pool, buzzer: o.buzzer, color: [...o.color] };
      default:
        return errorReply("unknown_command", null, raw);
    }
  }
  if ("list" in o) {
    if (typeof o.list !== "string") return invalidField("list");
    if (o.list === "buzzers") return { kind: "list_buzzers" };
    if (o.list === "pools") return { kind: "list_pools" };
  }
  return errorReply("unknown_command", null, raw);
}

/** The top-level field named by a TypeBox error path ("/color/1" → "color"). */
function firstBadField(errors: Iterable<{ path: string }>): string {
  for (const e of errors) return e.path.split("/")[1] || "command";
  return "command";
}

export interface PoolBuzzers {
  pool: string;
  buzzers: number[];
}
export type EventKind = "buzz" | "connected" | "disconnected";

export const encode = {
  error: (e: ErrorReply) => JSON.stringify({ error: e.error, message: e.message, cause: e.cause }),
  buzzers: (pools: PoolBuzzers[]) => JSON.stringify({ response: "buzzers", pools }),
  pools: (ids: string[]) => JSON.stringify({ response: "pools", pools: ids }),
  connected: (pool: string, buzzers: number[]) => JSON.stringify({ result: "connect", pool, buzzers }),
  // Extensions: replies to disconnect and set_color, in the seed's "result" style.
  disconnected: (pool: string) => JSON.stringify({ result: "disconnect", pool }),
  colored: (pool: string, buzzer: number, color: Rgb) => JSON.stringify({ result: "set_color", pool, buzzer, color }),
  /** Events; `ts` (extension) is the server's monotonic receive time in ms. */
  event: (event: EventKind, pool: string, buzzer: number | null, ts: number) => JSON.stringify({ event, pool, buzzer, ts }),
};
