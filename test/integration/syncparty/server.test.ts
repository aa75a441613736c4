// The common rules applied to /OpenSyncParty/ws (docs/common.md#endpoints, #http, #shutdown): the
// route, /healthz and /metrics for the endpoint, 1001 on shutdown, and room_full at the default
// limit (docs/syncparty.md#limits).
import { describe, expect, test } from "bun:test";
import { TestClient } from "../../helpers/ws-client.ts";
import { harness, Peer, roomName, useHarness } from "../../helpers/clients/syncparty.ts";

describe("server lifecycle on /OpenSyncParty/ws", () => {
  test("the endpoint accepts a query string and a trailing slash; a plain GET is refused", async () => {
    const H = harness({});
    await H.boot();
    try {
      for (const path of ["/OpenSyncParty/ws?room=x&token=y", "/OpenSyncParty/ws/"]) {
        const c = new Peer(await TestClient.open(H.server.ws(path)), "q");
        c.send("ping", null, { client_ts: 1 });
        await c.expect("pong");
        c.close();
      }
      expect((await fetch(H.server.http + "/OpenSyncParty/ws")).status).toBe(426);
    } finally {
      await H.stop();
    }
  });

  test("healthz counts the endpoint's sockets; shutdown closes them with 1001", async () => {
    const H = harness({});
    await H.boot();
    try {
      const { h, gs } = await H.room(["g"]);
      const health: any = await (await fetch(H.server.http + "/healthz")).json();
      expect(health.status).toBe("ok");
      expect(health.connections.syncparty).toBe(2);
      const metrics = await (await fetch(H.server.http + "/metrics")).text();
      expect(metrics).toMatch(/^switchboard_syncparty_rooms 1$/m);
      expect(metrics).toMatch(/^switchboard_syncparty_participants 2$/m);
      const stopping = H.stop();
      expect((await h.ws.waitClose()).code).toBe(1001);
      expect((await gs[0]!.ws.waitClose()).code).toBe(1001);
      await stopping;
    } finally {
      H.cleanup();
      await H.stop();
    }
  });
});

describe("room_full at the default limit", () => {
  const H = useHarness({});

  test("100 participants fit; the 101st gets room_full", async () => {
    const id = roomName("full");
    const h = await H.peer("h");
    await h.create(id);
    for (let i = 1; i < 100; i++) {
      const p = await H.peer(`p${i}`);
      const s = await p.join(id);
      expect(s.payload.participant_count).toBe(i + 1);
    }
    const x = await H.peer("x");
    x.send("join_room", id, {});
    await x.expectError("room_full");
  }, 30_000);
});
