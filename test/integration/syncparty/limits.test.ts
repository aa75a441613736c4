// Watch-party limits over the wire (docs/syncparty.md#limits): the size of a room's options, rooms
// per connection and in total; each refusal is the error envelope and the socket stays usable.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";

let s: TestServer;
beforeAll(async () => {
  s = await bootServer({ roomOptionsBytes: 100, roomsPerConn: 2, maxRooms: 3 });
});
afterAll(() => s.stop());

const create = (room: string, client: string, options: object = {}) => ({ type: "create_room", room, client, payload: { media_url: "m.mp4", options }, ts: 1 });

describe("watch-party limits", () => {
  test("options larger than --room-options-bytes: bad_request, nothing created", async () => {
    const c = await TestClient.open(s.ws("/OpenSyncParty/ws"));
    c.send(create("big", "a", { free_play: true, note: "x".repeat(200) }));
    const m = await c.nextJson();
    expect(m).toMatchObject({ type: "error", payload: { code: "bad_request" } });
    expect(m.payload.message).toContain("at most 100");
    c.send(create("small", "a", { free_play: true }));
    expect((await c.nextJson()).type).toBe("room_state");
    c.close();
  });

  test("rooms per connection, then rooms in total: forbidden, and the socket keeps working", async () => {
    const c = await TestClient.open(s.ws("/OpenSyncParty/ws"));
    c.send(create("r1", "b"));
    expect((await c.nextJson()).type).toBe("room_state");
    c.send(create("r2", "b"));
    expect((await c.nextJson()).type).toBe("room_state");
    c.send(create("r3", "b"));
    expect(await c.nextJson()).toMatchObject({ type: "error", payload: { code: "forbidden" } });
    const d = await TestClient.open(s.ws("/OpenSyncParty/ws"));
    d.send(create("r4", "d"));
    // small (earlier test) + r1 + r2 exist: the fourth room is over --max-rooms 3.
    const m = await d.nextJson();
    expect(m).toMatchObject({ type: "error", payload: { code: "forbidden" } });
    expect(m.payload.message).toContain("maximum of 3 rooms");
    d.send({ type: "join_room", room: "r2", client: "d", payload: { name: "D" }, ts: 1 });
    expect((await d.until((t) => t.includes('"room_state"'))).length).toBeGreaterThan(0);
    c.close();
    d.close();
  });
});
