// The watch party's errors (docs/syncparty.md#errors) and the common rules applied to /OpenSyncParty/ws:
// every error code of the contract made to occur over the wire, junk input of every kind
// (answered, connection kept, nobody else disturbed), binary frames, rate limit (error reply,
// then 1008), frame size (1009), idle close. Black-box over real sockets.
import { describe, expect, test } from "bun:test";
import { silentWebSocket } from "../../helpers/raw-socket.ts";
import { within } from "../../helpers/wait.ts";
import { signJwt } from "../../helpers/jwt.ts";
import { type Peer, roomName, useHarness } from "../../helpers/clients/syncparty.ts";

// Restated from docs/syncparty.md#errors on purpose, not imported from the server's catalog:
// a code missing there must fail this test.
const CODES = ("bad_json bad_request unknown_type auth_required token_invalid token_expired forbidden room_exists " +
  "room_missing invite_required invite_invalid invite_room_mismatch not_host room_full rate_limited").split(" ");
const SECRET = "errors-secret";
const sign = (claims: object, expOffsetS: number | null, secret = SECRET) => signJwt(secret, { ...claims }, expOffsetS);

describe("every error code of the contract occurs over the wire", () => {
  const H = useHarness({ jwtSecret: SECRET, roomMaxParticipants: 2, rateLimit: 5, rateBurst: 10, rateQueue: 2 });

  test("all fifteen codes, each with the exact error envelope", async () => {
    const seen = new Set<string>();
    const err = async (p: Peer, code: string) => {
      const m = await p.expectError(code);
      expect(m.type).toBe("error");
      seen.add(m.payload.code);
    };
    /** A valid login for this peer: its sub is the client id. */
    const ok = (p: Peer) => sign({ sub: p.id }, 600);
    const id = roomName("codes");
    const priv = roomName("codes-priv");
    const h = await H.peer("h");
    h.raw("{nope");
    await err(h, "bad_json");
    h.raw({ type: "create_room", room: id, client: 7, payload: {} });
    await err(h, "bad_request");
    h.raw({ type: "teleport", room: id, client: "h", payload: {} });
    await err(h, "unknown_type");
    h.send("create_room", id, {});
    await err(h, "auth_required");
    h.send("create_room", id, { auth_token: "x.y.z" });
    await err(h, "token_invalid");
    h.send("create_room", id, { auth_token: await sign({}, -600) });
    await err(h, "token_expired");
    h.send("create_room", id, { auth_token: await sign({ type: "invite", room: id }, 600) });
    await err(h, "forbidden");
    await h.create(id, { auth_token: await ok(h) });

    const h2 = await H.peer("h2");
    await h2.create(priv, { auth_token: await ok(h2), options: { private: true } });
    h2.send("create_invite", priv, {});
    const privInvite = (await h2.expect("invite_created")).payload.invite_token;

    const g = await H.peer("g");
    g.send("create_room", id, { auth_token: await ok(g) });
    await err(g, "room_exists");
    g.send("join_room", "gone-" + roomName(), { auth_token: await ok(g) });
    await err(g, "room_missing");
    g.send("join_room", priv, { auth_token: await ok(g) });
    await err(g, "invite_required");
    g.send("join_room", priv, { invite_token: await sign({ type: "invite", room: priv }, 600, "wrong") });
    await err(g, "invite_invalid");
    g.send("join_room", id, { invite_token: privInvite });
    await err(g, "invite_room_mismatch");
    await g.join(id, { auth_token: await ok(g) });
    g.send("player_event", id, { action: "play", position: 1 });
    await err(g, "not_host");

    const third = await H.peer("third");
    third.send("join_room", id, { auth_token: await ok(third) });
    await err(third, "room_full");

    const flood = await H.peer("flood");
    for (let i = 0; i < 14; i++) flood.send("ping", null, { client_ts: i });
    let m = await flood.next();
    while (m.type === "pong") m = await flood.next();
    expect(m.type).toBe("error");
    expect(m.payload.code).toBe("rate_limited");
    seen.add(m.payload.code);

    expect([...seen].sort()).toEqual([...CODES].sort());
  });
});

describe("bad input: the error reply, the connection stays, nobody else notices (no secret)", () => {
  const H = useHarness({ roomGraceMs: 200 });

  const alive = async (p: Peer) => {
    p.raw({ type: "ping", payload: { client_ts: 42 } });
    expect((await p.expect("pong")).payload).toEqual({ client_ts: 42 });
  };

  test("not JSON, or JSON that is not an object → bad_json", async () => {
    const { h, gs } = await H.room(["g"]);
    const g = gs[0]!;
    for (const junk of ["", " ", "nope", "{", '{"type":"ping",}', "007", '"x"', "3", "true", "null", "[]", '[{"type":"ping"}]', "\u0000", "\ud800"]) {
      g.raw(junk);
      const e = await g.expectError("bad_json");
      expect(e.client).toBe("g");
    }
    await alive(g);
    expect(await h.quiet()).toBe(true);
  });

  test("ill-typed envelopes and payloads → bad_request", async () => {
    const { id, h, gs } = await H.room(["g"]);
    const g = gs[0]!;
    const frames: unknown[] = [
      { room: id, client: "g", payload: {} }, // no type
      { type: 5, client: "g", payload: {} },
      { type: null, client: "g" },
      { type: "ping", client: "g", payload: [] },
      { type: "ping", client: "g", payload: "x" },
      { type: "ping", client: "g", payload: {} }, // no client_ts
      { type: "ping", client: "g", payload: { client_ts: "12" } },
      { type: "ping", client: "g", payload: { client_ts: 1 }, ts: "now" },
      { type: "ping", client: "g", room: 12, payload: { client_ts: 1 } },
      { type: "ping", client: { id: "g" }, payload: { client_ts: 1 } },
      { type: "join_room", room: id, client: "g", payload: { name: 5 } },
      { type: "create_room", client: "x".repeat(500), payload: {} },
      { type: "create_room", client: "g", payload: { start_pos: -3 } },
      { type: "create_room", client: "g", payload: { start_pos: "0" } },
      { type: "create_room", client: "g", payload: { options: "free_play" } },
      { type: "create_room", client: "g", payload: { options: { free_play: "yes" } } },
    ];
    for (const f of frames) {
      g.raw(f);
      await g.expectError("bad_request");
    }
    await alive(g);
    expect(await h.quiet()).toBe(true);
    // the room is intact
    const v = await H.peer("v");
    expect((await v.join(id)).payload.participant_count).toBe(3);
  });

  test("unknown and server-only types → unknown_type", async () => {
    const p = await H.peer("p");
    for (const type of ["pong", "room_state", "error", "client_joined", "host_change", "PING", "", "__proto__", "constructor", "toString", "x".repeat(5000)]) {
      p.raw({ type, client: "p", payload: {} });
      await p.expectError("unknown_type");
    }
    await alive(p);
  });

  test("binary frames carrying JSON are answered like text; binary junk is bad_json", async () => {
    const p = await H.peer("p");
    p.ws.send(new TextEncoder().encode(JSON.stringify({ type: "ping", client: "p", payload: { client_ts: 9 } })));
    expect((await p.expect("pong")).payload).toEqual({ client_ts: 9 });
    p.ws.send(new Uint8Array([0xff, 0x00, 0x7b]));
    await p.expectError("bad_json");
    await alive(p);
  });

  test("ids reach the server byte for byte: '007' stays a string, unicode ids round-trip", async () => {
    const a = await H.peer("007");
    const id = "ルーム-🎥-" + roomName();
    const s = await a.create(id, { name: "Bönd" });
    expect(s.client).toBe("007");
    expect(s.room).toBe(id);
    expect(s.payload.participants).toEqual([{ client_id: "007", name: "Bönd", is_host: true }]);
    const b = await H.peer("ゲスト");
    await b.join(id);
    expect((await a.expect("client_joined")).client).toBe("ゲスト");
  });

  test("control aimed at a room the socket is not in: room_missing, not_host, or forbidden (free_play)", async () => {
    const { id, h } = await H.room([]);
    const o = await H.peer("o");
    o.send("player_event", "missing-" + roomName(), { action: "play", position: 1 });
    await o.expectError("room_missing");
    o.send("player_event", id, { action: "play", position: 1 }, { client: "h" }); // claims the host's id
    await o.expectError("not_host");
    o.send("create_invite", id, {});
    await o.expectError("not_host");
    const free = roomName();
    const f = await H.peer("f");
    await f.create(free, { options: { free_play: true } });
    o.send("state_update", free, { position: 1, play_state: "playing" });
    await o.expectError("forbidden");
    // a seated socket naming a room other than its own gets the same answers
    await o.join(id);
    await h.expect("client_joined");
    await h.expect("participants_update");
    o.send("player_event", free, { action: "pause", position: 2 });
    await o.expectError("forbidden");
    expect(await h.quiet()).toBe(true);
    expect(await f.quiet(10)).toBe(true);
  });

  test("closing at awkward moments: mid-join burst, double close; the room stays consistent", async () => {
    const { id, h } = await H.room([]);
    const g = await H.peer("g");
    g.send("join_room", id, {});
    g.send("player_event", id, { action: "play", position: 1 });
    g.close();
    // whatever order the server saw them in, h ends with only itself seated
    const seen: string[] = [];
    for (;;) {
      const m = await h.next();
      seen.push(m.type);
      if (m.type === "participants_update" && m.payload.participant_count === 1) break;
    }
    expect(seen).toEqual(["client_joined", "participants_update", "client_left", "participants_update"]);
    const v = await H.peer("v");
    expect((await v.join(id)).payload.participants.map((p: any) => p.client_id)).toEqual(["h", "v"]);
  });
});

describe("rate limit, frame size, idle close on /OpenSyncParty/ws", () => {
  const H = useHarness({ rateLimit: 2, rateBurst: 5, rateQueue: 3, maxFrameBytes: 1024, pingIntervalMs: 100, idleTimeoutMs: 500 });

  test("over the rate: rate_limited replies, then close 1008; the room sees the flooder leave", async () => {
    const { id, h, gs } = await H.room(["g"]);
    const g = gs[0]!;
    for (let i = 0; i < 30; i++) g.send("ping", id, { client_ts: i });
    const types: string[] = [];
    try {
      for (;;) {
        const m = await g.next(2000);
        types.push(m.type === "error" ? m.payload.code : m.type);
      }
    } catch {
      // the socket closed
    }
    expect((await g.ws.waitClose()).code).toBe(1008);
    expect(types.filter((t) => t === "pong").length).toBeGreaterThanOrEqual(4); // burst 5, one spent on join
    expect(types.filter((t) => t === "rate_limited").length).toBeGreaterThanOrEqual(1);
    expect(types.every((t) => t === "pong" || t === "rate_limited")).toBe(true);
    expect((await h.expect("client_left")).client).toBe("g");
    await h.expect("participants_update");
    h.send("ping", id, { client_ts: 1 });
    await h.expect("pong");
  });

  test("a frame over --max-frame-bytes closes with 1009; others are undisturbed", async () => {
    const { id, h, gs } = await H.room(["g"]);
    gs[0]!.send("ping", id, { client_ts: 1, pad: "x".repeat(2000) });
    expect((await gs[0]!.ws.waitClose()).code).toBe(1009);
    await h.expect("client_left");
    await h.expect("participants_update");
    h.send("ping", id, { client_ts: 2 });
    await h.expect("pong");
  });

  test("a client that stops answering pings is closed; one that answers stays", async () => {
    const p = await H.peer("p");
    const silent = await silentWebSocket(H.server.port, "/OpenSyncParty/ws");
    await within(silent.closed, 4000, "the server to close the silent client");
    expect(p.ws.closed).toBeNull();
    p.send("ping", null, { client_ts: 3 });
    await p.expect("pong");
  });
});
