// /connect with a non-default --metronome-lead-ms (400): the first beat that far ahead, tempo
// changes and late joiners on the running grid, a phone whose clock is an hour off, and the
// metronome gauges in /metrics. The rules with the default options: wire, groups and clock tests.
import { describe, expect, test } from "bun:test";
import { metronomeServer } from "../../helpers/clients/metronome.ts";
import { untilInstant } from "../../helpers/wait.ts";

const LEAD = 400;
const phones = metronomeServer({ metronomeLeadMs: LEAD });
const { withId: client, owner } = phones;
const tempo = (g: number, bpm: number) => ({ group_id: g, current_client_ts: Date.now(), bpm });

describe("groups over the wire", () => {
  test("start → play_sound to all, update_temp on the old grid, stop → stop_sound; K counts per connection", async () => {
    const o = await owner();
    const m = await client();
    await m.result("subscribe_to_group", { group_id: o.id });
    const before = Date.now();
    expect(await o.result("start_metronome", tempo(o.id, 120))).toEqual({ status: "success" });
    const po = (await o.request("play_sound")).json;
    const pm = (await m.request("play_sound")).json;
    expect(po).toMatchObject({ jsonrpc: "2.0", params: { bpm: 120 }, id: 1 });
    expect(pm).toMatchObject({ jsonrpc: "2.0", params: { bpm: 120 }, id: 1 });
    // ≥ lead ahead; the owner's one-way clock samples may pull it back by their transit time (loaded box: generous)
    expect(po.params.start_ts).toBeGreaterThanOrEqual(before + LEAD - 100);
    expect(Math.abs(po.params.start_ts - pm.params.start_ts)).toBeLessThan(100); // same clock on both
    // clients may answer the server's requests; nothing comes back
    o.send({ jsonrpc: "2.0", result: { status: "success" }, id: po.id });

    await untilInstant(po.params.start_ts + 120); // the grid is playing: its first beat has sounded
    expect(await o.result("update_temp", tempo(o.id, 90))).toEqual({ status: "success" });
    const up = (await o.request("play_sound")).json;
    expect(up).toMatchObject({ params: { bpm: 90 }, id: 2 });
    const k = (up.params.start_ts - po.params.start_ts) / 500;
    expect(Math.abs(k - Math.round(k)) * 500).toBeLessThanOrEqual(1); // a beat of the old 120 bpm grid
    expect(up.params.start_ts).toBeGreaterThan(Date.now() - 20);
    expect((await m.request("play_sound")).json.params.bpm).toBe(90);

    expect(await o.result("stop_metronome", { group_id: o.id, current_client_ts: Date.now() })).toEqual({ status: "success" });
    for (const c of [o, m]) expect((await c.request("stop_sound")).json).toEqual({ jsonrpc: "2.0", method: "stop_sound", params: null, id: 3 });
  });

  test("a late joiner gets the running grid at once; a skewed clock gets start_ts in its own clock", async () => {
    const o = await owner();
    await o.result("start_metronome", tempo(o.id, 60));
    const first = (await o.request("play_sound")).json.params.start_ts;
    await untilInstant(first + 300); // past the first beat
    const skew = 3_600_000; // a phone one hour ahead
    const late = await client(skew);
    expect(await late.result("subscribe_to_group", { group_id: o.id })).toEqual({ status: "success" });
    const p = (await late.request("play_sound")).json;
    expect(p.params.bpm).toBe(60);
    const serverBeat = p.params.start_ts - skew;
    expect(serverBeat).toBeGreaterThan(Date.now() - 20); // ahead, so it can be scheduled
    const k = (serverBeat - first) / 1000;
    expect(Math.abs(k - Math.round(k)) * 1000).toBeLessThan(100); // on the grid, up to the one-way clock estimates' transit
  });

  test("/metrics shows the group gauges", async () => {
    const o = await owner();
    await o.result("start_metronome", tempo(o.id, 100));
    const body = await (await fetch(phones.server.http + "/metrics")).text();
    expect(body).toMatch(/^switchboard_metronome_groups [1-9]\d*$/m);
    expect(body).toMatch(/^switchboard_metronome_playing_groups [1-9]\d*$/m);
  });
});
