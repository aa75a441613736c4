// /mediator wire format (docs/buzzer.md#commands-and-replies): JSON text frames. parse() turns one
// frame into a typed command or one of the original protocol's error replies (errors as values);
// the reply builders produce its exact shapes. The game and phone messages are extensions
// (docs/buzzer.md#the-game, docs/buzzer.md#phones-as-buzzers).
import { Type, type Static } from "@sinclair/typebox";
import { compileOnUse } from "../../schema.ts";
import type { Exchange } from "../metronome/clock-sync.ts";
import { errorReply, Expected, invalidField, MAX_NAME_CHARS, type ErrorReply } from "./errors.ts";
export { MAX_NAME_CHARS };

export type Rgb = [number, number, number];


export type Command =
  | { kind: "list_buzzers" }
  | { kind: "list_pools" }
  | { kind: "connect"; pool: string }
  | { kind: "disconnect"; pool: string }
  | { kind: "set_color"; pool: string; buzzer: number; color: Rgb }
  | { kind: "arm" }
  | { kind: "reset" }
  | { kind: "set_name"; pool: string; buzzer: number; name: string | null }
  | { kind: "list_round" }
  | { kind: "phone_join"; name: string; phoneId: string | null }
  | { kind: "sync_time"; clientTs: number; previous: Exchange | null }
  | { kind: "press"; clientTs: number };

/** A phone id as the server issues it (and accepts back): 16..64 base64url characters. */
export const PHONE_ID = /^[A-Za-z0-9_-]{16,64}$/;

const Byte = Type.Integer({ minimum: 0, maximum: 255 });
const PoolId = Type.String({ minLength: 1 });

export const PoolCommand = Type.Object({ command: Type.String(), pool: PoolId });
export type PoolCommand = Static<typeof PoolCommand>;
export const SetColorCommand = Type.Object({ command: Type.String(), pool: PoolId, buzzer: Byte, color: Type.Tuple([Byte, Byte, Byte]) });
export type SetColorCommand = Static<typeof SetColorCommand>;

// TypeBox numbers are finite: NaN and ±Infinity (JSON.parse reads 1e999 as Infinity) fail the check.
const Ms = Type.Number();
export const SetNameCommand = Type.Object({ command: Type.String(), pool: PoolId, buzzer: Byte, name: Type.Union([Type.String(), Type.Null()]) });
export type SetNameCommand = Static<typeof SetNameCommand>;
export const PhoneJoinCommand = Type.Object({
  command: Type.String(),
  name: Type.String(),
  phone_id: Type.Optional(Type.Union([Type.String({ pattern: PHONE_ID.source }), Type.Null()])),
});
export type PhoneJoinCommand = Static<typeof PhoneJoinCommand>;
export const SyncTimeCommand = Type.Object({
  command: Type.String(),
  client_ts: Ms,
  previous: Type.Optional(
    Type.Union([Type.Object({ client_ts: Ms, server_recv_ts: Ms, server_send_ts: Ms, client_recv_ts: Ms }), Type.Null()]),
  ),
});
export type SyncTimeCommand = Static<typeof SyncTimeCommand>;
export const PressCommand = Type.Object({ command: Type.String(), client_ts: Ms });
export type PressCommand = Static<typeof PressCommand>;

const checkPool = compileOnUse(PoolCommand);
const checkSetColor = compileOnUse(SetColorCommand);
const checkSetName = compileOnUse(SetNameCommand);
const checkPhoneJoin = compileOnUse(PhoneJoinCommand);
const checkSyncTime = compileOnUse(SyncTimeCommand);
const checkPress = compileOnUse(PressCommand);

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
      case "arm":
      case "reset":
        return { kind: o.command };
      case "set_name":
        if (!checkSetName.Check(o)) return invalidField(firstBadField(checkSetName.Errors(o)));
        return { kind: "set_name", pool: o.pool, buzzer: o.buzzer, name: o.name === null ? null : normalizeName(o.name) };
      case "phone_join": {
        if (!checkPhoneJoin.Check(o)) return invalidField(firstBadField(checkPhoneJoin.Errors(o)));
        const name = normalizeName(o.name);
        if (name === null) return invalidField("name", Expected.visibleName);
        return { kind: "phone_join", name, phoneId: o.phone_id ?? null };
      }
      case "sync_time": {
        if (!checkSyncTime.Check(o)) return invalidField(firstBadField(checkSyncTime.Errors(o)));
        const p = o.previous;
        const previous = p ? { client_ts: p.client_ts, server_recv_ts: p.server_recv_ts, server_send_ts: p.server_send_ts, client_recv_ts: p.client_recv_ts } : null;
        return { kind: "sync_time", clientTs: o.client_ts, previous };
      }
      case "press":
        if (!checkPress.Check(o)) return invalidField(firstBadField(checkPress.Errors(o)));
        return { kind: "press", clientTs: o.client_ts };
      default:
        return errorReply("unknown_command", null, raw);
    }
  }
  if ("list" in o) {
    if (typeof o.list !== "string") return invalidField("list");
    if (o.list === "buzzers") return { kind: "list_buzzers" };
    if (o.list === "pools") return { kind: "list_pools" };
    if (o.list === "round") return { kind: "list_round" };
  }
  return errorReply("unknown_command", null, raw);
}

/** The top-level field named by a TypeBox error path ("/color/1" → "color"). */
function firstBadField(errors: Iterable<{ path: string }>): string {
  for (const e of errors) return e.path.split("/")[1] || "command";
  return "command";
}

/**
 * A name as shown on the projector: NFC, control and bidirectional-override characters removed
 * (they could hide or reverse the text around it), whitespace runs made one space, trimmed, and
 * cut to MAX_NAME_CHARS code points. Null when nothing visible is left.
 */
export function normalizeName(raw: string): string | null {
  // NFC after the removal: a control between a letter and its accent ("e\u2066\u0301") would
  // otherwise leave a decomposed name that a second pass changes (found by fuzzing).
  const clean = raw
    .replace(/[\u202A-\u202E\u2066-\u2069]/g, "")
    .normalize("NFC")
    .replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, " ")
    .trim();
  const cut = [...clean].slice(0, MAX_NAME_CHARS).join("").trimEnd();
  // Format characters (zero-width joiners of emoji sequences) stay, but do not make a name visible.
  return /[^\p{Cf}\p{Z}\p{M}]/u.test(cut) ? cut : null;
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
  // Extensions: replies to disconnect and set_color, in the original protocol's "result" style.
  disconnected: (pool: string) => JSON.stringify({ result: "disconnect", pool }),
  colored: (pool: string, buzzer: number, color: Rgb) => JSON.stringify({ result: "set_color", pool, buzzer, color }),
  /** Events; `ts` (extension) is the server's monotonic receive time in ms. */
  event: (event: EventKind, pool: string, buzzer: number | null, ts: number) => JSON.stringify({ event, pool, buzzer, ts }),

  // The game (docs/buzzer.md#the-game). Every ts is server monotonic ms, like the events' ts.
  armReply: (round: number) => JSON.stringify({ result: "arm", round }),
  resetReply: (round: number) => JSON.stringify({ result: "reset", round }),
  named: (pool: string, buzzer: number, name: string | null) => JSON.stringify({ result: "set_name", pool, buzzer, name }),
  round: (s: RoundSnapshot) => JSON.stringify({ response: "round", round: s.round, armed: s.armed, order: s.order, first: s.first }),
  armed: (round: number, ts: number) => JSON.stringify({ event: "armed", round, ts }),
  reset: (round: number, ts: number) => JSON.stringify({ event: "reset", round, ts }),
  order: (round: number, order: OrderEntry[]) => JSON.stringify({ event: "order", round, order }),
  first: (round: number, w: Winner) => JSON.stringify({ event: "first", round, pool: w.pool, buzzer: w.buzzer, name: w.name, ts: w.ts }),

  // Phones (docs/buzzer.md#phones-as-buzzers).
  phoneJoined: (buzzer: number, phoneId: string, name: string | null) =>
    JSON.stringify({ result: "phone_join", pool: "phones", buzzer, phone_id: phoneId, name }),
  syncTime: (clientTs: number, serverRecv: number, serverSend: number) =>
    JSON.stringify({ result: "sync_time", client_ts: clientTs, server_recv_ts: serverRecv, server_send_ts: serverSend }),
  pressed: (round: number, buzzer: number, ts: number, outcome: PressOutcome) =>
    JSON.stringify({ result: "press", round, pool: "phones", buzzer, ts, outcome }),
};

/** One entry of a round's order: press time `ts`, `gap_ms` behind the first entry. */
export interface OrderEntry {
  pool: string;
  buzzer: number;
  name: string | null;
  ts: number;
  gap_ms: number;
}
export interface Winner {
  pool: string;
  buzzer: number;
  name: string | null;
  ts: number;
}
/** `list round`: the round number, whether it is armed, its order, and its winner once final. */
export interface RoundSnapshot {
  round: number;
  armed: boolean;
  order: OrderEntry[];
  first: Winner | null;
}
/** What became of a press (docs/buzzer.md#the-game). */
export type PressOutcome = "joined" | "repeat" | "locked_out" | "false_start" | "round_over";
