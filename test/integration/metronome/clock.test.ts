// /connect's beat grid and clock offsets (docs/metronome.md#the-beat-grid, #clock-offsets), checked from each
// client's own view. A client's clock is simulated by a skew added to every timestamp it sends and
// to the instant it notes a frame's arrival; start_ts must come in that clock.
import { describe, expect, test } from "bun:test";
import { MetronomeClient, metronomeServer } from "../../helpers/clients/metronome.ts";
import { untilInstant } from "../../helpers/wait.ts";

const LEAD = 1000; // the contract's default lead_ms
const phones = metronomeServer();
const { connect, withId, owner, member } = phones;
const tempo = (c: MetronomeClient, g: number, bpm: number, ts = c.now()) => ({ group_id: g, current_client_ts: ts, bpm });
async function play(c: MetronomeClient) {
  const f = await c.request("play_sound");
  expect(Object.keys(f.json.params)).toEqual(["start_ts", "bpm"]);
  expect(Number.isInteger(f.json.params.start_ts)).toBe(true);
  return { start: f.json.params.start_ts as number, bpm: f.json.params.bpm as number, at: f.at };
}
/** How far `t` is from the nearest beat of the grid (start, bpm), in ms. */
function offGrid(t: number, start: number, bpm: number): number {
  const p = 60000 / bpm;
  const k = (t - start) / p;
  return Math.abs(k - Math.round(k)) * p;
}

describe("start_ts in the receiving client's clock", () => {
  test("a +3 s client gets start_ts shifted by +3 s, at least lead_ms ahead of its own now", async () => {
    for (const skew of [3000, -3000]) {
      const o = await owner(skew);
      const sent = o.now();
      await o.result("start_metronome", tempo(o, o.id, 120, sent));
      const p = await play(o);
      expect(p.start - sent).toBeGreaterThanOrEqual(LEAD);
      expect(p.start - sent).toBeLessThan(LEAD + 100);
      expect(p.start - (Date.now() + skew)).toBeGreaterThan(LEAD - 200); // in its clock, not the server's
    }
  });

  test("members with different clocks get the same instant, each in its own clock", async () => {
    const o = await owner(0);
    const ahead = await member(o.id, 3000);
    const behind = await member(o.id, -3000);
    const plain = await member(o.id, 0);
    await o.result("start_metronome", tempo(o, o.id, 90));
    const po = await play(o);
    const [pa, pb, pp] = [await play(ahead), await play(behind), await play(plain)];
    expect(Math.abs(pa.start - 3000 - po.start)).toBeLessThanOrEqual(20);
    expect(Math.abs(pb.start + 3000 - po.start)).toBeLessThanOrEqual(20);
    expect(Math.abs(pp.start - po.start)).toBeLessThanOrEqual(20);
    for (const p of [pa, pb, pp]) expect(p.start).toBeGreaterThan(p.at + LEAD - 200);
  });

  test("clients whose clocks agree with the server's all get the same server instant, lead_ms ahead", async () => {
    const o = await owner(0);
    // Same clock as the server; their get_id spent 0, 3, 12 and 30 ms in transit.
    const members = [];
    for (const lag of [0, 3, 12, 30]) {
      const m = await connect();
      await m.result("get_id", { time_utc: Date.now() - lag });
      await m.result("subscribe_to_group", { group_id: o.id });
      members.push(m);
    }
    const before = Date.now();
    await o.result("start_metronome", tempo(o, o.id, 100));
    const po = await play(o);
    expect(po.start).toBeGreaterThanOrEqual(before + LEAD);
    for (const m of members) expect((await play(m)).start).toBe(po.start);
  });

  test("a client with no usable clock sample gets server time unchanged", async () => {
    const o = await owner(0);
    const m = await connect();
    await m.result("get_id", { time_utc: 123123123 }); // the original clients' placeholder value, not a clock
    await m.result("subscribe_to_group", { group_id: o.id });
    await o.result("start_metronome", tempo(o, o.id, 100));
    const [po, pm] = [await play(o), await play(m)];
    expect(Math.abs(pm.start - po.start)).toBeLessThanOrEqual(20);
  });
});

describe("sync_time", () => {
  const SYNC = /^\{"jsonrpc":"2\.0","result":\{"status":"success","client_ts":([-\d.e+]+),"server_recv_ts":(\d+),"server_send_ts":(\d+)\},"id":(\d+)\}$/;

  test("reply shape: exactly status, client_ts echoed, server_recv_ts ≤ server_send_ts, server clock", async () => {
    const c = await withId(3000);
    for (const ts of [c.now(), c.now() + 0.25]) {
      const before = Date.now();
      const r = await c.call("sync_time", { client_ts: ts });
      const m = SYNC.exec(r.text);
      expect(m).not.toBeNull();
      expect(Number(m![1])).toBe(ts);
      const [recv, send] = [Number(m![2]), Number(m![3])];
      expect(recv).toBeLessThanOrEqual(send);
      expect(recv).toBeGreaterThanOrEqual(before);
      expect(send).toBeLessThanOrEqual(Date.now());
    }
  });

  test("a reported exchange wins over one-way samples: start_ts follows the exchange's offset", async () => {
    const o = await owner(0);
    // This phone's clock is really +3 s, but its first frames claimed +10 s (a one-way sample).
    const m = await connect(3000);
    await m.result("get_id", { time_utc: Date.now() + 10_000 });
    await m.result("subscribe_to_group", { group_id: o.id });
    let previous: Record<string, number> | undefined;
    for (let i = 0; i < 3; i++) {
      const t1 = m.now();
      const r = await m.result("sync_time", previous ? { client_ts: t1, previous } : { client_ts: t1 });
      previous = { client_ts: t1, server_recv_ts: r.server_recv_ts, server_send_ts: r.server_send_ts, client_recv_ts: m.now() };
    }
    await o.result("start_metronome", tempo(o, o.id, 100));
    const [po, pm] = [await play(o), await play(m)];
    expect(Math.abs(pm.start - 3000 - po.start)).toBeLessThanOrEqual(20);
  });

  test("previous: the smallest round trip is kept; inconsistent ones ignored; null means none; a notification counts", async () => {
    const o = await owner(0);
    const m = await withId(0);
    await m.result("subscribe_to_group", { group_id: o.id });
    const R = Date.now();
    const exchange = (offset: number, rtt: number) => ({ client_ts: R + offset - rtt / 2, server_recv_ts: R, server_send_ts: R, client_recv_ts: R + offset + rtt / 2 });
    await m.result("sync_time", { client_ts: m.now(), previous: exchange(7000, 100) });
    m.send({ jsonrpc: "2.0", method: "sync_time", params: { client_ts: m.now(), previous: exchange(5000, 10) } }); // notification
    await m.result("sync_time", { client_ts: m.now(), previous: exchange(9000, 50) }); // slower: ignored
    await m.result("sync_time", { client_ts: m.now(), previous: { ...exchange(1000, 0), client_recv_ts: R - 10_000 } }); // rtt < 0
    expect(await m.result("sync_time", { client_ts: m.now(), previous: null })).toMatchObject({ status: "success" });
    await o.result("start_metronome", tempo(o, o.id, 100));
    const [po, pm] = [await play(o), await play(m)];
    expect(Math.abs(pm.start - 5000 - po.start)).toBeLessThanOrEqual(20);
  });
});

describe("the beat grid", () => {
  test("update_temp while playing: the next beat of the old grid, in every client's view", async () => {
    const o = await owner(0);
    const ahead = await member(o.id, 3000);
    const plain = await member(o.id, 0);
    const clients = [o, ahead, plain];
    await o.result("start_metronome", tempo(o, o.id, 90));
    const first = await Promise.all(clients.map(play));
    await untilInstant(first[0]!.start + 450); // the grid is playing: its first beat has sounded (the owner's clock is the server's)
    const sentAt = clients.map((c) => c.now());
    await o.result("update_temp", tempo(o, o.id, 140));
    const second = await Promise.all(clients.map(play));
    clients.forEach((_, i) => {
      const [a, b] = [first[i]!, second[i]!];
      expect(b.bpm).toBe(140);
      expect(offGrid(b.start, a.start, 90)).toBeLessThanOrEqual(1); // a beat the phone was about to play
      expect(b.start).toBeGreaterThan(sentAt[i]! - 5); // the next one, not a past one…
      expect(b.start - sentAt[i]!).toBeLessThanOrEqual(60000 / 90 + 50); // …and not a later one (bound: a loaded box)
    });
    // A second change chains on the 140 bpm grid, once that grid is playing.
    await untilInstant(second[0]!.start + 300);
    await o.result("update_temp", tempo(o, o.id, 60));
    const third = await Promise.all(clients.map(play));
    clients.forEach((_, i) => {
      expect(third[i]!.bpm).toBe(60);
      expect(offGrid(third[i]!.start, second[i]!.start, 140)).toBeLessThanOrEqual(1);
    });
  });

  test("update_temp keeps the owner's phase even when its clock samples got better meanwhile", async () => {
    // The owner's first frames spent 40 ms in transit (their timestamps lag); later ones arrive at once.
    const o = await connect(3000);
    const { client_id: g } = await o.result("get_id", { time_utc: o.now() - 40 });
    await o.result("create_group", { time_utc: o.now() - 40 });
    await o.result("start_metronome", tempo(o, g, 120, o.now() - 40));
    const a = await play(o);
    await untilInstant(a.start - o.skew + 200); // past the first beat (start_ts is in the owner's clock)
    await o.result("update_temp", tempo(o, g, 100));
    const b = await play(o);
    expect(offGrid(b.start, a.start, 120)).toBeLessThanOrEqual(1);
  });

  test("update_temp before the first beat: the new tempo starts on that first beat", async () => {
    const o = await owner(0);
    await o.result("start_metronome", tempo(o, o.id, 100));
    const a = await play(o);
    await o.result("update_temp", tempo(o, o.id, 200));
    const b = await play(o);
    expect(b.start).toBe(a.start);
    expect(b.bpm).toBe(200);
  });

  test("update_temp while stopped only stores the tempo; start uses its own bpm", async () => {
    const o = await owner(0);
    const m = await member(o.id);
    expect(await o.result("update_temp", tempo(o, o.id, 77))).toEqual({ status: "success" });
    expect(await o.quiet(200)).toBe(true);
    expect(await m.quiet(50)).toBe(true);
    await o.result("start_metronome", tempo(o, o.id, 88));
    expect((await play(m)).bpm).toBe(88);
  });

  test("a late joiner after a tempo change gets the new tempo on the new grid", async () => {
    const o = await owner(0);
    await o.result("start_metronome", tempo(o, o.id, 120));
    const started = await play(o);
    await untilInstant(started.start + 100); // past the first beat
    await o.result("update_temp", tempo(o, o.id, 75));
    const changed = await play(o);
    await untilInstant(changed.start + 400); // the new tempo is playing
    const late = await member(o.id, 3000);
    const j = await play(late);
    expect(j.bpm).toBe(75);
    expect(j.start).toBeGreaterThan(j.at);
    expect(offGrid(j.start - 3000, changed.start, 75)).toBeLessThanOrEqual(20);
  });

  test("start while playing restarts: a fresh first beat lead_ms ahead", async () => {
    const o = await owner(0);
    await o.result("start_metronome", tempo(o, o.id, 120));
    await play(o);
    await Bun.sleep(300); // the restart must come at another instant than the start: its own lead is what is checked
    const sent = o.now();
    await o.result("start_metronome", tempo(o, o.id, 60, sent));
    const p = await play(o);
    expect(p.bpm).toBe(60);
    expect(p.start - sent).toBeGreaterThanOrEqual(LEAD);
  });
});
