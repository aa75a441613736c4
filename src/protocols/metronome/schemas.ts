// Params of each metronome method (docs/metronome.md#methods), as TypeBox schemas compiled once.
// Named params are the original API's form; positional params (JSON-RPC 2.0 section 4.2) map onto the same names in
// the order listed here. Extra named members are allowed: extensions are additive. The later
// dialect's forms (docs/metronome.md#later-metronomeweb-dialect) are accepted by the same schemas:
// get_id {client_id}, create_group without params, ts_ms in place of current_client_ts.
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { compileOnUse } from "../../schema.ts";
import type { RpcParams } from "./codec.ts";

/** Client clock, ms since the Unix epoch. */
const Ts = Type.Number();
/** group_id: an integer, or a numeric string (some clients send ids as text). */
const GroupIdParam = Type.Union([Type.Integer(), Type.String({ pattern: "^[0-9]{1,15}$" })]);
export const MIN_BPM = 20;
export const MAX_BPM = 400;
const Bpm = Type.Number({ minimum: MIN_BPM, maximum: MAX_BPM });

/** A client id asked back (later dialect): null for "a new one", or the id it had before. */
const ClientIdParam = Type.Union([Type.Null(), Type.Integer({ minimum: 1 })]);
/** time_utc (original) or client_id (later dialect): at least one of them, see `needs`. */
export const GetIdParams = Type.Object({ time_utc: Type.Optional(Ts), client_id: Type.Optional(ClientIdParam) });
export type GetIdParams = Static<typeof GetIdParams>;
/** The later dialect sends no params at all (`"params": null`); time_utc is only a clock sample. */
export const CreateGroupParams = Type.Object({ time_utc: Type.Optional(Ts) });
export type CreateGroupParams = Static<typeof CreateGroupParams>;
export const SubscribeParams = Type.Object({ group_id: GroupIdParam });
export type SubscribeParams = Static<typeof SubscribeParams>;
/** current_client_ts (original) or ts_ms (later dialect), the same one-way sample: at least one. */
export const TempoParams = Type.Object({ group_id: GroupIdParam, current_client_ts: Type.Optional(Ts), ts_ms: Type.Optional(Ts), bpm: Bpm });
export type TempoParams = Static<typeof TempoParams>;
export const StopParams = Type.Object({ group_id: GroupIdParam, current_client_ts: Type.Optional(Ts), ts_ms: Type.Optional(Ts) });
export type StopParams = Static<typeof StopParams>;
export const ExchangeParam = Type.Object({ client_ts: Ts, server_recv_ts: Ts, server_send_ts: Ts, client_recv_ts: Ts });
export type ExchangeParam = Static<typeof ExchangeParam>;
/** `previous?` (docs/metronome.md#sync_time): absent or null on a client's first call, which has nothing to report yet. */
export const SyncTimeParams = Type.Object({ client_ts: Ts, previous: Type.Optional(Type.Union([ExchangeParam, Type.Null()])) });
export type SyncTimeParams = Static<typeof SyncTimeParams>;

export type Checked<T> = { ok: true; value: T } | { ok: false; why: string };
export type ParamsChecker<T> = (params: RpcParams | null | undefined) => Checked<T>;

/**
 * One of these members must be present (each is optional in the schema because the two dialects
 * name it differently); when none is, the error names the first, the original API's field.
 */
const needs = (...fields: string[]) => (v: object) => (fields.some((f) => Object.hasOwn(v, f)) ? null : fields[0]!);

/**
 * Compile a schema once; the checker also accepts positional params in `order`. Null params (only
 * reach here for the methods that take them) read as absent. `missing`: a field required beyond the schema.
 */
export function paramsChecker<S extends TSchema>(schema: S, order: string[], missing?: (v: Static<S>) => string | null): ParamsChecker<Static<S>> {
  const compiled = compileOnUse(schema);
  return (params) => {
    let obj: unknown = params ?? {};
    if (Array.isArray(params)) {
      if (params.length > order.length) return { ok: false, why: `at most ${order.length} positional params: ${order.join(", ")}` };
      obj = Object.fromEntries(params.map((v, i) => [order[i], v]));
    }
    if (compiled.Check(obj)) {
      const field = missing?.(obj);
      return field ? { ok: false, why: `${field}: ${describe(field)}` } : { ok: true, value: obj };
    }
    const first = compiled.Errors(obj).First();
    const field = first?.path.split("/")[1];
    return { ok: false, why: field ? `${field}: ${describe(field)}` : "params must be an object" };
  };
}

// Say what is expected rather than TypeBox's generic text, so a client author sees the fix at once.
const expectations: Record<string, string> = {
  time_utc: "expected a number (client clock, ms since the Unix epoch)",
  current_client_ts: "expected a number (client clock, ms since the Unix epoch)",
  ts_ms: "expected a number (client clock, ms since the Unix epoch)",
  client_id: "expected null or a client id (an integer from 1)",
  client_ts: "expected a number (client clock, ms since the Unix epoch)",
  group_id: "expected an integer or a numeric string",
  bpm: `expected a number from ${MIN_BPM} to ${MAX_BPM}`,
  previous: "expected null or {client_ts, server_recv_ts, server_send_ts, client_recv_ts}, all numbers",
};
const describe = (field: string) => expectations[field] ?? "invalid";

/** group_id as a number (the schema has already checked its form). */
export const groupIdOf = (g: number | string): number => (typeof g === "number" ? g : Number(g));

export const check = {
  getId: paramsChecker(GetIdParams, ["time_utc"], needs("time_utc", "client_id")),
  createGroup: paramsChecker(CreateGroupParams, ["time_utc"]),
  subscribe: paramsChecker(SubscribeParams, ["group_id"]),
  tempo: paramsChecker(TempoParams, ["group_id", "current_client_ts", "bpm"], needs("current_client_ts", "ts_ms")),
  stop: paramsChecker(StopParams, ["group_id", "current_client_ts"], needs("current_client_ts", "ts_ms")),
  syncTime: paramsChecker(SyncTimeParams, ["client_ts", "previous"]),
};
