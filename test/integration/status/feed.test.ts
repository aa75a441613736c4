// The operator status feed against the real server (docs/pages.md#the-status-feed): who may read
// it (docs/access.md#operator-rights), every field with activity on every protocol, no secret in
// it, and the stream pushing changes within a bounded time.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ReceiverEmulator } from "../../../scripts/buzzer-emulator.ts";
import { startActivity, type Activity } from "../../helpers/activity.ts";
import { openMediator, untilJson } from "../../helpers/clients/buzzer.ts";
import { Peer } from "../../helpers/clients/syncparty.ts";
import { bootServer, operatorHeaders, testPoolAllow, TEST_OPERATOR_TOKEN, type TestServer } from "../../helpers/server.ts";
import { SseReader } from "../../helpers/sse.ts";
import { TestClient } from "../../helpers/ws-client.ts";
import { waitFor } from "../../helpers/wait.ts";

let srv: TestServer;
let cookie: string;
beforeAll(async () => {
  srv = await bootServer({ poolAllow: testPoolAllow });
  // The browser's way in: the console URL sets the cookie (docs/access.md#browsers).
  const r = await fetch(`${srv.http}/?token=${TEST_OPERATOR_TOKEN}`, { redirect: "manual" });
  expect(r.status).toBe(303);
  cookie = r.headers.get("set-cookie")!.split(";")[0]!;
});
afterAll(() => srv.stop());

const paths = ["/api/status", "/api/status/stream"];

describe("who may read the feed", () => {
  for (const path of paths) {
    const get = async (headers: Record<string, string>) => {
      const ctl = new AbortController();
      const r = await fetch(srv.http + path, { headers, signal: ctl.signal });
      const type = r.headers.get("content-type") ?? "";
      const body = (type.startsWith("application/json") ? await r.json() : null) as any;
      ctl.abort();
      return { status: r.status, type, body, auth: r.headers.get("www-authenticate") };
    };

    test(`${path}: no cookie and no bearer → 401 with a JSON error that says how`, async () => {
      const r = await get({});
      expect(r.status).toBe(401);
      expect(r.body.error).toBe("unauthorized");
      expect(r.body.message).toContain("Authorization: Bearer");
      expect(r.auth).toBe('Bearer realm="switchboard"');
    });

    test(`${path}: a wrong bearer token → 403, even with a good cookie beside it`, async () => {
      for (const headers of [{ authorization: "Bearer nope" }, { authorization: "Bearer nope", cookie }] as Record<string, string>[]) {
        const r = await get(headers);
        expect(r.status).toBe(403);
        expect(r.body).toEqual({ error: "forbidden", message: "that operator token is not valid" });
      }
    });

    test(`${path}: the cookie from a foreign page's Origin → 403; a wrong cookie → 403`, async () => {
      const foreign = await get({ cookie, origin: "http://evil.example" });
      expect(foreign.status).toBe(403);
      expect(foreign.body.error).toBe("forbidden");
      expect(foreign.body.message).toContain('"http://evil.example"');
      const wrong = await get({ cookie: "switchboard_operator=guess" });
      expect(wrong.status).toBe(403);
      expect(wrong.body.error).toBe("forbidden");
    });

    test(`${path}: the bearer token, or the cookie from the server's own origin (or none) → 200`, async () => {
      const want = path.endsWith("stream") ? "text/event-stream; charset=utf-8" : "application/json; charset=utf-8";
      for (const headers of [operatorHeaders, { cookie }, { cookie, origin: srv.http }, { ...operatorHeaders, origin: "http://evil.example" }] as Record<string, string>[]) {
        const r = await get(headers);
        expect({ headers, status: r.status, type: r.type }).toEqual({ headers, status: 200, type: want });
      }
    });
  }
});

describe("the snapshot with activity on every protocol", () => {
  let act: Activity;
  let snap: any;
  beforeAll(async () => {
    act = await startActivity(srv);
    const r = await fetch(srv.http + "/api/status", { headers: operatorHeaders });
    expect(r.headers.get("cache-control")).toBe("no-store");
    snap = await r.json();
  });
  afterAll(() => act.close());

  test("the server: version, start, uptime, connections per endpoint, caps, the database", () => {
    expect(Math.abs(snap.ts - Date.now())).toBeLessThan(5000);
    expect(snap.server.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(snap.server.started_at).toBeLessThanOrEqual(snap.ts);
    expect(snap.server.uptime_s).toBeGreaterThan(0);
    expect(snap.server.connections).toEqual({ metronome: 2, syncparty: 2, clicker: 1, socketio: 2, buzzer: 1 });
    expect(Object.keys(snap.server.limits).sort()).toEqual(["connections", "max_connections", "max_connections_per_ip", "open_files_hard", "open_files_soft"]);
    expect(snap.server.store).toEqual({ status: "ok", pending: 0, oldest_ms: 0, error: null });
  });

  test("metronome: the group with owner, members, bpm, playing", () => {
    expect(snap.metronome).toEqual({ group_count: 1, groups: [{ id: act.group, owner: act.group, members: [act.group, act.member], member_count: 2, bpm: 120, playing: true }] });
  });

  test("watch party: the room with host, participants, position, play state", () => {
    expect(snap.syncparty.room_count).toBe(1);
    expect(snap.syncparty.participant_count).toBe(2);
    const [room] = snap.syncparty.rooms;
    expect(room).toEqual({
      id: act.room,
      host: "alice",
      participants: [
        { client_id: "alice", name: "Alice", is_host: true },
        { client_id: "bob", name: "Bob", is_host: false },
      ],
      participant_count: 2,
      position: 31,
      position_at: expect.any(Number),
      play_state: "playing",
      media_url: "https://example.test/film.mp4",
      free_play: false,
      private: false,
    });
    expect(Math.abs(room.position_at - Date.now())).toBeLessThan(10_000);
  });

  test("clicker: devices online and offline with their latest score and scores today", () => {
    const c = snap.clicker;
    const midnight = new Date();
    midnight.setHours(0, 0, 0, 0);
    expect(c.day_start).toBe(midnight.getTime());
    expect(c.devices).toEqual([
      { id: act.clicker, online: true, latest: { ts: 200, score: 9 }, today: 2 },
      { id: act.gone, online: false, latest: { ts: 5, score: 3 }, today: 1 },
    ]);
    expect([c.device_count, c.online_count, c.today_total, c.listeners]).toEqual([2, 1, 3, 0]);
  });

  test("Socket.IO: the monitor online with its pending command, and its user", () => {
    expect(snap.socketio).toEqual({
      loaded: true,
      monitors: [{ monitor_id: act.monitor, online: true, pending: [{ id: act.command, command: "lights on" }], pending_count: 1, users: 1 }],
      monitor_count: 1,
      users: [{ monitor_id: act.monitor, pending: 1 }],
      user_count: 1,
      pending_total: 1,
      recovering: 0,
    });
  });

  test("buzzer: the pool connected with its buzzers; the pty is among the devices a connect may open", () => {
    const pool = snap.buzzer.pools.find((p: any) => p.pool === act.pool);
    expect(pool).toEqual({ pool: act.pool, kind: "serial", state: "connected", configured: false, colors: true, buzzers: [1, 2, 3].map((b) => ({ buzzer: b, name: null })) });
    expect(snap.buzzer.connected_count).toBe(1);
    expect(snap.buzzer.available).toContain(act.pool);
  });

  test("no secret in it: not the operator token, a resume token or a clicker secret", async () => {
    const text = JSON.stringify(snap);
    expect(text).not.toContain(TEST_OPERATOR_TOKEN);
    expect(text).not.toMatch(/[0-9a-f]{32}/); // clicker secrets and resume tokens are 32 hex digits
    expect(text).not.toContain("resume");
    expect(text).not.toContain("secret");
  });
});

describe("the stream", () => {
  test("starts with the snapshot, then pushes a room being created within a bounded time, and stops when the client goes", async () => {
    const before = srv.pendingRequests();
    const feed = await SseReader.open(srv.http + "/api/status/stream", operatorHeaders);
    expect(feed.response.headers.get("cache-control")).toBe("no-store");
    const first = await feed.status();
    expect(first.syncparty.rooms.some((r: any) => r.id === "pushed-room")).toBe(false);
    const host = new Peer(await TestClient.open(srv.ws("/OpenSyncParty/ws")), "host-x");
    try {
      const t0 = performance.now();
      await host.create("pushed-room");
      const s = await feed.status((x) => x.syncparty.rooms.some((r: any) => r.id === "pushed-room"), 2000);
      // One feed period (250 ms) plus the time of the snapshot; 1 s leaves room for a busy machine.
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(s.syncparty.room_count).toBeGreaterThanOrEqual(1);
    } finally {
      host.close();
    }
    feed.close();
    await srv.heldRequests(0);
    await waitFor(() => srv.pendingRequests() === before, { what: "the stream's request to end" });
  });

  test("pushes a pool connect within a bounded time of the connect's reply", async () => {
    const emulator = await ReceiverEmulator.start({ buzzers: [4, 5], bootDelayMs: 20 });
    const med = await openMediator(srv.ws(""));
    const feed = await SseReader.open(srv.http + "/api/status/stream", { cookie });
    try {
      await feed.status();
      med.send({ command: "connect", pool: emulator.path });
      await untilJson(med, (m) => m.result === "connect", 8000);
      const t0 = performance.now();
      const s = await feed.status((x) => x.buzzer.pools.some((p: any) => p.pool === emulator.path && p.state === "connected"), 2000);
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(s.buzzer.pools.find((p: any) => p.pool === emulator.path).buzzers.map((b: any) => b.buzzer)).toEqual([4, 5]);
      med.send({ command: "disconnect", pool: emulator.path });
      await feed.status((x) => !x.buzzer.pools.some((p: any) => p.pool === emulator.path), 2000);
    } finally {
      feed.close();
      med.close();
      emulator.stop();
    }
  });

  test("nothing is sent while nothing changes (between heartbeats)", async () => {
    const feed = await SseReader.open(srv.http + "/api/status/stream", operatorHeaders);
    try {
      await feed.status();
      await expect(feed.next(() => true, 1200)).rejects.toThrow("no matching event");
    } finally {
      feed.close();
    }
  });

  test("a server stopping ends open streams at once", async () => {
    const own = await bootServer();
    const feed = await SseReader.open(own.http + "/api/status/stream", operatorHeaders);
    await feed.status();
    const t0 = performance.now();
    await own.stop();
    await feed.closed(2000);
    expect(performance.now() - t0).toBeLessThan(1500);
  });
});
