// Integration: abuse from one participant leaves the room and everyone else unharmed.
import { describe, expect, test } from "bun:test";
import { ErrorCodes } from "../../../src/protocols/syncparty/errors.ts";
import { type Peer, useHarness } from "../../helpers/clients/syncparty.ts";
import { junkFrames } from "./junk.ts";

describe("watch party under a flood", () => {
  const srv = useHarness({ rateLimit: 20, rateBurst: 20, rateQueue: 5 });
  test("a flooding participant gets rate_limited then 1008; the others keep flowing", async () => {
    const { id: room, h, gs } = await srv.room(["flooder", "calm"]);
    const [flooder, calm] = gs as [Peer, Peer];
    const calmSaw: any[] = [];
    const calmNext = async (type: string) => {
      for (;;) {
        const m = await calm.next(2000);
        calmSaw.push(m);
        if (m.type === type) return m;
      }
    };
    for (let i = 0; i < 120; i++) flooder.send("ping", room, { client_ts: i });
    // meanwhile the host keeps playing and the calm guest keeps pinging, within its own limit
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      h.send("player_event", room, { action: "seek", position: i });
      expect((await calmNext("player_event")).payload.position).toBe(i);
      calm.send("ping", room, { client_ts: i });
      expect((await calmNext("pong")).payload.client_ts).toBe(i);
      expect(performance.now() - t0).toBeLessThan(1500);
    }
    const got: any[] = [];
    while (!flooder.ws.closed || flooder.ws.inbox.length) {
      try {
        got.push(await flooder.next(2000));
      } catch {
        break;
      }
    }
    const limited = got.filter((m) => m.type === "error");
    expect(got.filter((m) => m.type === "pong").length).toBeGreaterThanOrEqual(15);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited.every((m) => m.payload.code === "rate_limited" && m.client === "flooder" && m.room === room)).toBe(true);
    expect((await flooder.ws.waitClose()).code).toBe(1008);
    if (!calmSaw.some((m) => m.type === "client_left")) await calmNext("client_left");
    expect(calmSaw.filter((m) => m.type === "client_left")).toMatchObject([{ client: "flooder", room }]);
    expect(calmSaw.some((m) => m.type === "error")).toBe(false);
  });

});

describe("watch party under malformed traffic", () => {
  const srv = useHarness({ rateLimit: 1_000_000, rateBurst: 1_000_000 });
  test("1000 random malformed frames: 1000 error replies, the room intact, the server answering", async () => {
    const { id: room, h, gs } = await srv.room(["junk", "watcher"]);
    const [junk, watcher] = gs as [Peer, Peer];
    h.send("player_event", room, { action: "play", position: 10 });
    await junk.expect("player_event");
    await watcher.expect("player_event");
    const frames = junkFrames(20261122, 1000, room, "junk");
    for (let i = 0; i < frames.length; i += 100) {
      for (const f of frames.slice(i, i + 100)) junk.ws.send(f);
      await Bun.sleep(5); // paces the sender in batches of 100: the point is many frames, not one huge TCP write
    }
    const codes = new Set<string>(ErrorCodes);
    const seen = new Map<string, number>();
    for (let i = 0; i < frames.length; i++) {
      const m = await junk.next(5000);
      expect(m.type).toBe("error");
      expect(codes.has(m.payload.code)).toBe(true);
      seen.set(m.payload.code, (seen.get(m.payload.code) ?? 0) + 1);
    }
    expect(await junk.quiet(200)).toBe(true); // exactly one reply per frame
    expect([...seen.keys()].sort()).toEqual(["bad_json", "bad_request", "not_host", "unknown_type"]);
    expect(junk.ws.closed).toBeNull();
    expect(watcher.ws.inbox.length).toBe(0); // nobody else heard a thing
    // the room is intact: same participants, same host, still playing, control still relayed
    const late = await srv.peer("late");
    const rs = await late.join(room);
    expect(rs.payload.participants.map((p: any) => p.client_id)).toEqual(["h", "junk", "watcher", "late"]);
    expect(rs.payload.host_id).toBe("h");
    expect(rs.payload.state.play_state).toBe("playing");
    expect(rs.payload.state.position).toBeGreaterThanOrEqual(10);
    h.send("player_event", room, { action: "pause", position: 12 });
    expect((await watcher.until("player_event")).payload).toEqual({ action: "pause", position: 12 });
    junk.send("ping", room, { client_ts: 99 });
    expect((await junk.until("pong")).payload.client_ts).toBe(99);
    const health = (await (await fetch(srv.server.http + "/healthz")).json()) as any;
    expect(health.status).toBe("ok");
    expect(health.connections.syncparty).toBe(4);
  });
});
