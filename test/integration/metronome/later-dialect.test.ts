// MetronomeWeb's own last-commit web client against the real server (docs/metronome.md#later-metronomeweb-dialect):
// its buttons work, its clock is measured with get_time alone, and its beats land on the same instant
// as a sync_time client's, though its clock is seconds off and its link slow and jittery.
import { afterEach, describe, expect, test } from "bun:test";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";
import { MetronomeWebPhone, SyncTimePhone, until, type Link } from "./clients.ts";

/** How far apart two phones' beats may land, in ms: half the up/down imbalance of the fastest exchange, with ms rounding. */
const SAME_INSTANT_MS = 5;
const slow: Link = { baseMs: 30, jitterMs: 4 };
const slower: Link = { baseMs: 45, jitterMs: 4 };

let server: TestServer | null = null;
const phones: Array<{ close(): void }> = [];
afterEach(async () => {
  for (const p of phones.splice(0)) p.close();
  await server?.stop();
  server = null;
});

/** A fresh server per test: MetronomeWeb's subscribe button names group 1, the first id issued. */
async function boot() {
  server = await bootServer();
  const url = server.ws("/connect");
  return {
    web: async (skew: number, link: Link) => {
      const p = await MetronomeWebPhone.open(url, skew, link);
      phones.push(p);
      return p;
    },
    sync: async (skew: number, link: Link) => {
      const p = await SyncTimePhone.open(url, skew, link);
      phones.push(p);
      return p;
    },
    raw: async () => {
      const c = await TestClient.open(url);
      phones.push(c);
      await c.next();
      return c;
    },
  };
}

/** How far the true instant t is from the nearest beat of the grid (start, bpm), in ms. */
const offGrid = (t: number, start: number, bpm: number) => {
  const p = 60000 / bpm;
  const k = (t - start) / p;
  return Math.abs(k - Math.round(k)) * p;
};

describe("MetronomeWeb's last-commit client", () => {
  test("as a member: its unedited buttons work, and its first beat lands on a sync_time owner's instant", async () => {
    const { web, sync } = await boot();
    const owner = await sync(-3200, slow);
    const { client_id } = (await owner.call("get_id", { time_utc: owner.now() })).result;
    expect(client_id).toBe(1);
    await owner.call("create_group", { time_utc: owner.now() });
    await owner.sync(5);

    const phone = await web(4700, slower);
    expect(await phone.result(phone.getId())).toEqual({ status: "success", client_id: 2 });
    // A person presses the next button a moment later; the server meanwhile measures the clock.
    await until("the get_time burst", () => phone.getTimesAnswered >= 5);
    expect(await phone.result(phone.subscribeToGroup())).toEqual({ status: "success" });
    await owner.call("start_metronome", { group_id: 1, current_client_ts: owner.now(), bpm: 120 });
    await until("both play_sound", () => owner.plays.length && phone.plays.length);
    expect(phone.plays[0]!.bpm).toBe(120);
    expect(Math.abs(phone.trueStart() - owner.trueStart())).toBeLessThanOrEqual(SAME_INSTANT_MS);
    // The phone was told the instant in its own clock, about lead_ms ahead of when it heard it.
    expect(phone.plays[0]!.startTs - phone.plays[0]!.at).toBeGreaterThan(500);
    await until("its audio starting", () => phone.audioPlaying, 3000);

    await owner.call("stop_metronome", { group_id: 1, current_client_ts: owner.now() });
    await until("stop_sound", () => phone.stops === 1);
    expect(phone.audioPlaying).toBe(false);
    // Every server request was answered in the client's own words, and nothing came back for them.
    expect(phone.written.filter((f) => f.startsWith('{"jsonrpc": "2.0", "result": {"status":"success"}'))).toHaveLength(2);
    expect(phone.results.filter((r) => r.id !== 1 && r.id !== 2 && r.id !== null)).toEqual([]);
  });

  test("as the owner: create_group with params null, start/update_temp/stop with ts_ms; a sync_time member in phase", async () => {
    const { web, sync } = await boot();
    const phone = await web(-5300, slow);
    const { client_id } = await phone.result(phone.getId());
    expect(await phone.result(phone.createGroup())).toEqual({ status: "success", group_id: client_id });
    // Its start button names group 111222: as the client has it, a domain error…
    expect(await phone.result(phone.startMetronome())).toEqual({ status: "error", message: "group is not exist" });
    const member = await sync(2100, slower);
    await member.call("get_id", { time_utc: member.now() });
    await member.sync(5);
    await member.call("subscribe_to_group", { group_id: client_id });
    await until("the get_time burst", () => phone.getTimesAnswered >= 5);
    // …so the user edits the group id and presses Send; its ts_ms stays the button's 2022 value.
    expect(await phone.result(phone.startMetronome(client_id, 90))).toEqual({ status: "success" });
    await until("both play_sound", () => member.plays.length && phone.plays.length);
    expect(Math.abs(phone.trueStart() - member.trueStart())).toBeLessThanOrEqual(SAME_INSTANT_MS);

    await Bun.sleep(300);
    expect(await phone.result(phone.updateTemp(client_id, 150))).toEqual({ status: "success" });
    await until("the tempo change", () => member.plays.length === 2 && phone.plays.length === 2);
    expect(Math.abs(phone.trueStart() - member.trueStart())).toBeLessThanOrEqual(SAME_INSTANT_MS);
    expect(offGrid(phone.trueStart(1), phone.trueStart(0), 90)).toBeLessThanOrEqual(1); // phase continuous
    expect(phone.plays[1]!.bpm).toBe(150);

    expect(await phone.result(phone.stopMetronome(client_id))).toEqual({ status: "success" });
    await until("stop_sound to both", () => member.stops === 1 && phone.stops === 1);
  });

  test("joining a playing group straight after get_id: its play_sound waits for the measurement and lands on the grid", async () => {
    const { web, sync } = await boot();
    const owner = await sync(1800, slow);
    await owner.call("get_id", { time_utc: owner.now() });
    await owner.call("create_group", { time_utc: owner.now() });
    await owner.sync(5);
    await owner.call("start_metronome", { group_id: 1, current_client_ts: owner.now(), bpm: 100 });
    await until("the owner's play_sound", () => owner.plays.length);

    const phone = await web(-4400, slower);
    phone.getId();
    phone.subscribeToGroup(); // no pause: its clock is not measured yet when this arrives
    await until("the late join's play_sound", () => phone.plays.length, 4000);
    expect(phone.getTimesAnswered).toBeGreaterThanOrEqual(1);
    expect(offGrid(phone.trueStart(), owner.trueStart(), 100)).toBeLessThanOrEqual(SAME_INSTANT_MS);
    expect(phone.plays[0]!.startTs).toBeGreaterThan(phone.plays[0]!.at); // still ahead when it arrived
  });
});

describe("over the wire", () => {
  test("params null: create_group succeeds, every other method is an Invalid Request", async () => {
    const { raw } = await boot();
    const c = await raw();
    c.send('{"jsonrpc": "2.0", "method": "get_id", "params": null, "id": 1}');
    expect(await c.next()).toBe('{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":1}');
    c.send('{"jsonrpc": "2.0", "method": "get_id", "params": {"time_utc": 1}, "id": 2}');
    expect(await c.next()).toBe('{"jsonrpc":"2.0","result":{"status":"success","client_id":1},"id":2}');
    c.send('{"jsonrpc": "2.0", "method": "create_group", "params": null, "id": 3}');
    expect(await c.next()).toBe('{"jsonrpc":"2.0","result":{"status":"success","group_id":1},"id":3}');
    expect(await c.next()).toBe('{"jsonrpc":"2.0","method":"get_time","params":null,"id":1}');
    c.send('{"jsonrpc": "2.0", "method": "subscribe_to_group", "params": null, "id": 4}');
    expect(await c.next()).toBe('{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":4}');
  });

  test("an old id comes back once its connection has closed; while it is open, a new one", async () => {
    const { raw } = await boot();
    const first = await raw();
    first.send('{"jsonrpc":"2.0","method":"get_id","params":{"client_id":null},"id":1}');
    expect(JSON.parse(await first.next()).result.client_id).toBe(1);
    const other = await raw();
    other.send('{"jsonrpc":"2.0","method":"get_id","params":{"client_id":1},"id":1}');
    expect(JSON.parse(await other.until((f) => f.includes('"result"'))).result.client_id).toBe(2);
    first.close();
    await first.waitClose();
    // The server notes the close on its side of the handshake; ask until it has (each miss gets a
    // fresh id, as it should), bounded.
    let got = 0;
    for (let i = 0; i < 50 && got !== 1; i++) {
      const again = await raw();
      again.send('{"jsonrpc":"2.0","method":"get_id","params":{"client_id":1},"id":1}');
      got = JSON.parse(await again.until((f) => f.includes('"result"'))).result.client_id;
      if (got !== 1) await Bun.sleep(20);
    }
    expect(got).toBe(1);
  });
});
