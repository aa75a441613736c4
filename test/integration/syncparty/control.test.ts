// Playback control (docs/syncparty.md#playback-control), no JWT secret: player_event / state_update,
// host-only control vs free_play, relay to every other client with the sender's envelope.
// Black-box: the real server on port 0 and real WebSocket clients.
import { describe, expect, test } from "bun:test";
import { ENVELOPE_KEYS, type Msg, useHarness } from "../../helpers/clients/syncparty.ts";

const H = useHarness({});

describe("player_event / state_update: permission and relay", () => {
  test("host's player_event reaches every other client with the sender's envelope; never echoed", async () => {
    const { id, h, gs } = await H.room(["g1", "g2"]);
    const t0 = Date.now();
    h.raw({ type: "player_event", room: id, client: "h", payload: { action: "seek", position: 12.5 }, ts: 1111, server_ts: 1 });
    for (const g of gs) {
      const m = await g.expect("player_event");
      expect(Object.keys(m).sort()).toEqual(ENVELOPE_KEYS);
      expect(m.server_ts).toBeGreaterThanOrEqual(t0); // the server's stamp, never the sender's
      expect(m).toMatchObject({ room: id, client: "h", ts: 1111, payload: { action: "seek", position: 12.5 } });
    }
    expect(await h.quiet()).toBe(true);
  });

  test("a relay without ts still carries a numeric ts", async () => {
    const { id, h, gs } = await H.room(["g"]);
    h.raw({ type: "state_update", room: id, client: "h", payload: { position: 1, play_state: "paused" } });
    const m: Msg = await gs[0]!.expect("state_update");
    expect(typeof m.ts).toBe("number");
    expect(m).toMatchObject({ room: id, client: "h", payload: { position: 1, play_state: "paused" } });
  });

  test("non-host without free_play → not_host for player_event and state_update; state unchanged", async () => {
    const { id, h, gs } = await H.room(["g"]);
    const g = gs[0]!;
    for (const [type, payload] of [
      ["player_event", { action: "play", position: 9 }],
      ["state_update", { position: 9, play_state: "playing" }],
    ] as const) {
      g.send(type, id, payload);
      expect((await g.expectError("not_host")).room).toBe(id);
    }
    expect(await h.quiet()).toBe(true);
    const v = await H.peer("v");
    expect((await v.join(id)).payload.state).toEqual({ position: 0, play_state: "paused" });
  });

  test("free_play: anyone controls; relayed to every other client (host included), not the sender", async () => {
    const { id, h, gs } = await H.room(["g1", "g2"], { options: { free_play: true } });
    gs[0]!.send("player_event", id, { action: "pause", position: 4 });
    for (const p of [h, gs[1]!]) expect((await p.expect("player_event")).client).toBe("g1");
    gs[1]!.send("state_update", id, { position: 5, play_state: "playing" });
    for (const p of [h, gs[0]!]) expect((await p.expect("state_update")).client).toBe("g2");
    expect(await gs[0]!.quiet(10)).toBe(true);
    expect(await gs[1]!.quiet(10)).toBe(true);
  });

  test("ill-typed control payloads → bad_request, nothing relayed, state kept", async () => {
    const { id, h, gs } = await H.room(["g"]);
    const bad = [
      { action: "rewind", position: 1 },
      { action: "play", position: "12" },
      { action: "play" },
      { action: "play", position: -1 },
      { action: "play", position: null },
    ];
    for (const p of bad) {
      h.send("player_event", id, p);
      await h.expectError("bad_request");
    }
    // A partial state_update is fine; a field it has that is ill-typed is not.
    for (const p of [{ position: 1, play_state: "buffering" }, { position: "1" }, { play_state: "stopped" }, { reported_latency: 2, position: -1 }]) {
      h.send("state_update", id, p);
      await h.expectError("bad_request");
    }
    expect(await gs[0]!.quiet()).toBe(true);
  });

  test("control before joining → an error (no relay anywhere)", async () => {
    const { id, gs } = await H.room(["g"]);
    const o = await H.peer("outsider");
    o.send("player_event", id, { action: "play", position: 1 });
    expect((await o.next()).type).toBe("error");
    expect(await gs[0]!.quiet()).toBe(true);
  });
});
