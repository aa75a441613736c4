// The JSON-RPC method table of /connect: params checked against the schemas (-32602), clock
// samples taken, the later dialect noticed, then the hub decides the domain outcome. Pure.
import type { MetronomeHub, MetronomeClient } from "./state.ts";
import type { DispatchOptions, Method, Outcome, RpcParams } from "./codec.ts";
import { rpcError, RpcCode } from "./errors.ts";
import { then, type Awaitable } from "./registry.ts";
import { check, groupIdOf, type ParamsChecker } from "./schemas.ts";

/**
 * The methods the later dialect sends with `"params": null`, read as absent: the one deliberate
 * leniency (docs/metronome.md#json-rpc-errors). For every other method it stays an Invalid Request.
 */
export const NULL_PARAMS: ReadonlySet<string> = new Set(["create_group"]);

function withParams<T>(checker: ParamsChecker<T>, fn: (s: MetronomeClient, p: T, raw: RpcParams | null | undefined) => Awaitable<Outcome>): Method<MetronomeClient> {
  return (params, s) => {
    const c = checker(params);
    return c.ok ? fn(s, c.value, params) : { error: rpcError(RpcCode.invalidParams, c.why) };
  };
}

/**
 * A frame only the later dialect sends (docs/metronome.md#later-metronomeweb-dialect): once the
 * reply is out, the hub starts measuring this client with get_time, before the call's own effects
 * (so a play_sound it causes already waits for the measurement).
 */
function later(hub: MetronomeHub, s: MetronomeClient, out: Awaitable<Outcome>): Awaitable<Outcome> {
  return then(out, (out) => {
    if (!("result" in out)) return out;
    const after = out.after;
    return {
      result: out.result,
      after: () => {
        hub.laterDialect(s);
        after?.();
      },
    };
  });
}

/** current_client_ts and ts_ms are the same one-way sample under the two dialects' names. */
function samples(hub: MetronomeHub, s: MetronomeClient, p: { current_client_ts?: number; ts_ms?: number }): void {
  if (p.current_client_ts !== undefined) hub.sample(s, p.current_client_ts);
  if (p.ts_ms !== undefined) hub.sample(s, p.ts_ms);
}

export function metronomeMethods(hub: MetronomeHub): ReadonlyMap<string, Method<MetronomeClient>> {
  const control = (s: MetronomeClient, p: { ts_ms?: number }, out: () => Outcome): Awaitable<Outcome> => {
    samples(hub, s, p);
    return p.ts_ms === undefined ? out() : later(hub, s, out());
  };
  return new Map<string, Method<MetronomeClient>>([
    [
      "get_id",
      withParams(check.getId, (s, p) => {
        if (p.time_utc !== undefined) hub.sample(s, p.time_utc);
        return p.client_id === undefined ? hub.getId(s) : later(hub, s, hub.getId(s, p.client_id));
      }),
    ],
    [
      "create_group",
      withParams(check.createGroup, (s, p, raw) => {
        if (p.time_utc !== undefined) hub.sample(s, p.time_utc);
        return raw === null ? later(hub, s, hub.createGroup(s)) : hub.createGroup(s);
      }),
    ],
    ["subscribe_to_group", withParams(check.subscribe, (s, p) => hub.subscribe(s, groupIdOf(p.group_id)))],
    ["start_metronome", withParams(check.tempo, (s, p) => control(s, p, () => hub.start(s, groupIdOf(p.group_id), p.bpm)))],
    ["update_temp", withParams(check.tempo, (s, p) => control(s, p, () => hub.updateTempo(s, groupIdOf(p.group_id), p.bpm)))],
    ["stop_metronome", withParams(check.stop, (s, p) => control(s, p, () => hub.stop(s, groupIdOf(p.group_id))))],
    ["sync_time", withParams(check.syncTime, (s, p) => hub.syncTime(s, p.client_ts, p.previous))],
  ]);
}

/** What the dispatcher needs besides the table: the null-params methods, and where peer responses go. */
export function metronomeDispatch(hub: MetronomeHub): DispatchOptions<MetronomeClient> {
  return { nullParams: NULL_PARAMS, onResponse: (r, s) => hub.response(s, r) };
}
