// How the hub delivers a broadcast: one publish to the group's topic when every member's frame is
// the same (start_ts and K agree), one frame per phone otherwise, and membership of the topic
// following membership of the group.
import { beforeEach, describe, expect, test } from "bun:test";
import { call, client, clock, connect, group, hub, LEAD, resetHub, tempo, topics } from "./hub-harness.ts";

beforeEach(resetHub);

const PLAY = (start_ts: number, bpm: number, id: number) => ({ jsonrpc: "2.0", method: "play_sound", params: { start_ts, bpm }, id });
const STOP = (id: number) => ({ jsonrpc: "2.0", method: "stop_sound", params: null, id });

/** An owner and n members, all on clocks that agree with the server's, frames so far discarded. */
function band(n: number, skew = (_i: number) => 0) {
  const o = group();
  const ms = Array.from({ length: n }, (_, i) => client(skew(i)));
  for (const m of ms) call(m, "subscribe_to_group", { group_id: o.id });
  return { o, ms, all: [o, ...ms] };
}

describe("broadcast fan-out", () => {
  test("agreeing clocks: start, update_temp and stop are each published once, and every member gets the frame", () => {
    const { o, all } = band(5);
    const before = topics.published;
    const t0 = clock.now() + LEAD;
    call(o, "start_metronome", tempo(o.id, 120));
    clock.advance(LEAD + 100);
    call(o, "update_temp", tempo(o.id, 90));
    call(o, "stop_metronome", { group_id: o.id, current_client_ts: clock.now() });
    expect(topics.published - before).toBe(3);
    for (const c of all) expect(c.peer.takeJson()).toEqual([PLAY(t0, 120, 1), PLAY(t0 + 500, 90, 2), STOP(3)]);
  });

  test("clocks that differ: each phone its own start_ts, nothing published for play_sound", () => {
    const { o, ms } = band(3, (i) => 1000 * (i + 1));
    const before = topics.published;
    const t0 = clock.now() + LEAD;
    call(o, "start_metronome", tempo(o.id, 100));
    expect(topics.published).toBe(before);
    expect(o.peer.takeJson()).toEqual([PLAY(t0, 100, 1)]);
    ms.forEach((m, i) => expect(m.peer.takeJson()).toEqual([PLAY(t0 + 1000 * (i + 1), 100, 1)]));
    // stop_sound carries no clock: published once.
    call(o, "stop_metronome", { group_id: o.id, current_client_ts: clock.now() });
    expect(topics.published).toBe(before + 1);
  });

  test("a member whose K counter is ahead (it heard another group) gets its own K; the rest still agree", () => {
    const { o, ms } = band(2);
    const other = group();
    const hearsTwo = ms[0]!;
    // hearsTwo's own group plays: one server request on its counter that the others did not get.
    call(hearsTwo, "create_group", { time_utc: clock.now() });
    call(hearsTwo, "start_metronome", tempo(hearsTwo.id, 60));
    expect(hearsTwo.peer.takeJson().map((f) => f.id)).toEqual([1]);
    const t0 = clock.now() + LEAD;
    call(o, "start_metronome", tempo(o.id, 120));
    expect(o.peer.takeJson()).toEqual([PLAY(t0, 120, 1)]);
    expect(ms[1]!.peer.takeJson()).toEqual([PLAY(t0, 120, 1)]);
    expect(hearsTwo.peer.takeJson()).toEqual([PLAY(t0, 120, 2)]);
    expect(other.peer.takeJson()).toEqual([]);
  });

  test("the topic follows the group: a member that moved away, left, or whose group dissolved hears nothing more", () => {
    const { o, ms } = band(3);
    const elsewhere = group();
    const [mover, leaver, stayer] = ms as [ReturnType<typeof client>, ReturnType<typeof client>, ReturnType<typeof client>];
    call(mover, "subscribe_to_group", { group_id: elsewhere.id });
    hub.disconnect(leaver.s);
    call(o, "start_metronome", tempo(o.id, 120));
    expect(mover.peer.takeJson()).toEqual([]);
    expect(leaver.peer.takeJson()).toEqual([]);
    expect(stayer.peer.takeJson()).toHaveLength(1);
    // Dissolve: the members hear stop_sound once, then nothing from that group id again.
    hub.disconnect(o.s);
    expect(stayer.peer.takeJson()).toEqual([STOP(2)]);
    expect(topics.subs.get(`metronome:${o.id}`)?.size ?? 0).toBe(0);
    expect(call(stayer, "subscribe_to_group", { group_id: o.id })).toEqual({ status: "error", message: "group is not exist" });
  });

  test("a late joiner gets its play_sound alone, not the whole group again", () => {
    const { o, ms } = band(2);
    call(o, "start_metronome", tempo(o.id, 120));
    for (const c of [o, ...ms]) c.peer.take();
    const before = topics.published;
    const late = connect();
    call(late, "get_id", { time_utc: clock.now() });
    call(late, "subscribe_to_group", { group_id: o.id });
    expect(topics.published).toBe(before);
    expect(late.peer.takeJson()).toHaveLength(1);
    for (const c of [o, ...ms]) expect(c.peer.take()).toEqual([]);
  });
});
