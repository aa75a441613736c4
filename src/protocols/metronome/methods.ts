// The JSON-RPC method table of /connect: params checked against the schemas (-32602), clock
// samples taken, then the hub decides the domain outcome. Pure.
import type { MetronomeHub, MetronomeClient } from "./state.ts";
import type { Method, Outcome } from "./codec.ts";
import { rpcError, RpcCode } from "./errors.ts";
import { check, groupIdOf, type ParamsChecker } from "./schemas.ts";

function withParams<T>(checker: ParamsChecker<T>, fn: (s: MetronomeClient, p: T) => Outcome): Method<MetronomeClient> {
  return (params, s) => {
    const c = checker(params);
    return c.ok ? fn(s, c.value) : { error: rpcError(RpcCode.invalidParams, c.why) };
  };
}

export function metronomeMethods(hub: MetronomeHub): ReadonlyMap<string, Method<MetronomeClient>> {
  return new Map<string, Method<MetronomeClient>>([
    [
      "get_id",
      withParams(check.getId, (s, p) => {
        hub.sample(s, p.time_utc);
        return hub.getId(s);
      }),
    ],
    [
      "create_group",
      withParams(check.createGroup, (s, p) => {
        hub.sample(s, p.time_utc);
        return hub.createGroup(s);
      }),
    ],
    ["subscribe_to_group", withParams(check.subscribe, (s, p) => hub.subscribe(s, groupIdOf(p.group_id)))],
    [
      "start_metronome",
      withParams(check.tempo, (s, p) => {
        hub.sample(s, p.current_client_ts);
        return hub.start(s, groupIdOf(p.group_id), p.bpm);
      }),
    ],
    [
      "update_temp",
      withParams(check.tempo, (s, p) => {
        hub.sample(s, p.current_client_ts);
        return hub.updateTempo(s, groupIdOf(p.group_id), p.bpm);
      }),
    ],
    [
      "stop_metronome",
      withParams(check.stop, (s, p) => {
        hub.sample(s, p.current_client_ts);
        return hub.stop(s, groupIdOf(p.group_id));
      }),
    ],
    ["sync_time", withParams(check.syncTime, (s, p) => hub.syncTime(s, p.client_ts, p.previous))],
  ]);
}
