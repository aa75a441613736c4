// Params of each metronome method (docs/metronome.md#methods), as TypeBox schemas compiled once.
// Named params are the original API's form; positional params (JSON-RPC 2.0 section 4.2) map onto
// the same names in the order listed here. Extra named members are allowed: extensions are
// additive.
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

export const GetIdParams = Type.Object({ time_utc: Ts });
export type GetIdParams = Static<typeof GetIdParams>;
export const CreateGroupParams = GetIdParams;
export type CreateGroupParams = GetIdParams;
export const SubscribeParams = Type.Object({ group_id: GroupIdParam });
export type SubscribeParams = Static<typeof SubscribeParams>;
export const TempoParams = Type.Object({ group_id: GroupIdParam, current_client_ts: Ts, bpm: Bpm });
export type TempoParams = Static<typeof TempoParams>;
export const StopParams = Type.Object({ group_id: GroupIdParam, current_client_ts: Ts });
export type StopParams = Static<typeof StopParams>;
export const ExchangeParam = Type.Object({ client_ts: Ts, server_recv_ts: Ts, server_send_ts: Ts, client_recv_ts: Ts });
export type ExchangeParam = Static<typeof ExchangeParam>;
/** `previous?` (docs/metronome.md#sync_time): absent or null on a client's first call, which has nothing to report yet. */
export const SyncTimeParams = Type.Object({ client_ts: Ts, previous: Type.Optional(Type.Union([ExchangeParam, Type.Null()])) });
export type SyncTimeParams = Static<typeof SyncTimeParams>;

export type Checked<T> = { ok: true; value: T } | { ok: false; why: string };
export type ParamsChecker<T> = (params: RpcParams | undefined) => Checked<T>;

/** Compile a schema once; the checker also accepts positional params in `order`. */
export function paramsChecker<S extends TSchema>(schema: S, order: string[]): ParamsChecker<Static<S>> {
  const compiled = compileOnUse(schema);
  return (params) => {
    let obj: unknown = params ?? {};
    if (Array.isArray(params)) {
      if (params.length > order.length) return { ok: false, why: `at most ${order.length} positional params: ${order.join(", ")}` };
      obj = Object.fromEntries(params.map((v, i) => [order[i], v]));
    }
    if (compiled.Check(obj)) return { ok: true, value: obj };
    const first = compiled.Errors(obj).First();
    const field = first?.path.split("/")[1];
    return { ok: false, why: field ? `${field}: ${describe(field)}` : "params must be an object" };
  };
}

// Say what is expected rather than TypeBox's generic text, so a client author sees the fix at once.
const expectations: Record<string, string> = {
  time_utc: "expected a number (client clock, ms since the Unix epoch)",
  current_client_ts: "expected a number (client clock, ms since the Unix epoch)",
  client_ts: "expected a number (client clock, ms since the Unix epoch)",
  group_id: "expected an integer or a numeric string",
  bpm: `expected a number from ${MIN_BPM} to ${MAX_BPM}`,
  previous: "expected null or {client_ts, server_recv_ts, server_send_ts, client_recv_ts}, all numbers",
};
const describe = (field: string) => expectations[field] ?? "invalid";

/** group_id as a number (the schema has already checked its form). */
export const groupIdOf = (g: number | string): number => (typeof g === "number" ? g : Number(g));

export const check = {
  getId: paramsChecker(GetIdParams, ["time_utc"]),
  createGroup: paramsChecker(CreateGroupParams, ["time_utc"]),
  subscribe: paramsChecker(SubscribeParams, ["group_id"]),
  tempo: paramsChecker(TempoParams, ["group_id", "current_client_ts", "bpm"]),
  stop: paramsChecker(StopParams, ["group_id", "current_client_ts"]),
  syncTime: paramsChecker(SyncTimeParams, ["client_ts", "previous"]),
};
