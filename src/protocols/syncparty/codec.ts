// Watch-party codec (docs/syncparty.md#messages): text frame ↔ typed envelope. Pure; errors are values.
//
// Client envelope: {type, room, client, payload, ts}. Every server message is
// {type, room, client, payload, ts, server_ts}; all six keys are always present (null when
// there is nothing to say), so clients can read them without guards.
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { compileOnUse, type Check } from "../../schema.ts";
import { fail, type Fail } from "./errors.ts";


// Limits where the contract is silent (docs/syncparty.md#limits): ids and names stay short
// so participant lists stay small; tokens fit any reasonable JWT.
const Id = Type.String({ maxLength: 128 });
const Name = Type.String({ maxLength: 100 });
const Token = Type.String({ maxLength: 8192 });
/** A seat's resume_token (docs/syncparty.md#seats-and-resume-tokens): ours are 32 hex digits. */
const ResumeToken = Type.String({ maxLength: 128 });
const Position = Type.Number({ minimum: 0 }); // seconds; TypeBox also refuses NaN and ±Infinity
/** Optional field that a JS client may also send as null. */
const Opt = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));

export const Envelope = Type.Object({
  type: Type.String(), // any string: the ones we do not know are unknown_type, however long
  room: Opt(Id),
  client: Opt(Id),
  payload: Opt(Type.Object({})),
  ts: Opt(Type.Number()),
});
export type Envelope = Static<typeof Envelope>;

export const RoomOptions = Type.Object({ free_play: Opt(Type.Boolean()), private: Opt(Type.Boolean()) });
export type RoomOptions = Static<typeof RoomOptions>;

export const CreateRoom = Type.Object({
  media_url: Opt(Type.String({ maxLength: 4096 })),
  start_pos: Opt(Position),
  name: Opt(Name),
  options: Opt(RoomOptions),
  auth_token: Opt(Token),
  /** Only used by the host taking its room back during the grace period. */
  resume_token: Opt(ResumeToken),
});
export type CreateRoom = Static<typeof CreateRoom>;

export const JoinRoom = Type.Object({ name: Opt(Name), auth_token: Opt(Token), invite_token: Opt(Token), resume_token: Opt(ResumeToken) });
export type JoinRoom = Static<typeof JoinRoom>;

export const PlayerEvent = Type.Object({
  action: Type.Union([Type.Literal("play"), Type.Literal("pause"), Type.Literal("seek")]),
  position: Position,
});
export type PlayerEvent = Static<typeof PlayerEvent>;

export const PlayState = Type.Union([Type.Literal("playing"), Type.Literal("paused")]);
export type PlayState = Static<typeof PlayState>;

/**
 * Either field may be left out (docs/syncparty.md#partial-state-updates): real clients send payloads
 * such as {"reported_latency": 2} alone. Only a field that is given must be well-typed; null
 * counts as not given, as for every optional field here.
 */
export const StateUpdate = Type.Object({ position: Opt(Position), play_state: Opt(PlayState) });
export type StateUpdate = Static<typeof StateUpdate>;

export const Ping = Type.Object({ client_ts: Type.Number() });
export type Ping = Static<typeof Ping>;

/** Extension: invite lifetime in seconds (default 1 h, at most 30 days). */
export const CreateInvite = Type.Object({ expires_in: Opt(Type.Number({ exclusiveMinimum: 0, maximum: 30 * 86400 })) });
export type CreateInvite = Static<typeof CreateInvite>;

/** Extension: leave the room without closing the socket. */
export const LeaveRoom = Type.Object({});
export type LeaveRoom = Static<typeof LeaveRoom>;

const payloadSchemas = {
  create_room: CreateRoom,
  join_room: JoinRoom,
  player_event: PlayerEvent,
  state_update: StateUpdate,
  ping: Ping,
  create_invite: CreateInvite,
  leave_room: LeaveRoom,
};
type Payloads = typeof payloadSchemas;
export type ClientType = keyof Payloads;

/** A validated client message. Empty-string and null room/client mean "not given". */
export type ClientMessage = {
  [K in ClientType]: { type: K; room: string | null; client: string | null; ts: number | null; payload: Static<Payloads[K]> };
}[ClientType];

const envelopeCheck = compileOnUse(Envelope);
const payloadChecks = Object.fromEntries(
  Object.entries(payloadSchemas).map(([k, s]) => [k, compileOnUse(s as TSchema)]),
) as Record<ClientType, Check<TSchema>>;

export type Decoded =
  | { ok: true; msg: ClientMessage }
  /** room/client: whatever usable ids the bad frame carried, for the error envelope. */
  | { ok: false; fail: Fail; room: string | null; client: string | null };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const idOf = (v: unknown): string | null => (typeof v === "string" && v !== "" && v.length <= 128 ? v : null);

function firstError(check: Check<TSchema>, value: unknown, prefix: string): string {
  const e = check.Errors(value).First();
  return e ? `${prefix}${e.path || "/"}: ${e.message}` : `${prefix}: invalid`;
}

/** Text frame → message. bad_json: not JSON or not an object; bad_request: ill-typed fields; unknown_type. */
export function decode(text: string): Decoded {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, fail: fail("bad_json", "frame is not valid JSON"), room: null, client: null };
  }
  if (!isObject(v)) return { ok: false, fail: fail("bad_json", "frame must be a JSON object"), room: null, client: null };
  const room = idOf(v.room);
  const client = idOf(v.client);
  const bad = (f: Fail): Decoded => ({ ok: false, fail: f, room, client });
  if (!envelopeCheck.Check(v)) return bad(fail("bad_request", firstError(envelopeCheck, v, "envelope")));
  const env = v as Envelope;
  if (!Object.hasOwn(payloadSchemas, env.type)) return bad(fail("unknown_type", `unknown message type ${JSON.stringify(env.type.slice(0, 64))}`));
  const type = env.type as ClientType;
  const payload = env.payload ?? {};
  const check = payloadChecks[type];
  if (!check.Check(payload)) return bad(fail("bad_request", firstError(check, payload, "payload")));
  return { ok: true, msg: { type, room, client, ts: env.ts ?? null, payload } as ClientMessage };
}

/** One server message. ts: the sender's ts for relays, else server time (docs/syncparty.md#messages). */
export function encode(type: string, room: string | null, client: string | null, payload: object, ts: number, serverTs: number): string {
  return JSON.stringify({ type, room, client, payload, ts, server_ts: serverTs });
}

export function encodeError(f: Fail, room: string | null, client: string | null, now: number): string {
  return encode("error", room, client, { code: f.code, message: f.message }, now, now);
}
