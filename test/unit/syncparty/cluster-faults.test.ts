// The watch party across nodes when things fail (docs/cluster.md#watch-party), with fakes: nodes
// that die or stop answering, a node cut off from Redis, Redis restarts and the messages they
// lose; and the cluster with a JWT secret. Against real nodes: test/system/cluster/syncparty-faults.test.ts.
import { beforeEach, describe, expect, test } from "bun:test";
import { FakeNet, type PartyNode, type Sock } from "../../helpers/party-nodes.ts";
import { signJwt } from "../../helpers/jwt.ts";
import { waitFor } from "../../helpers/wait.ts";

let net: FakeNet;
let a: PartyNode;
let b: PartyNode;
let c: PartyNode;

beforeEach(() => {
  net = new FakeNet();
  a = net.add("A");
  b = net.add("B");
  c = net.add("C");
});

/** A socket on `node` seated in `room` as `client` (created if `create`), inbox emptied; its resume token. */
async function seat(node: PartyNode, room: string, client: string, create = false): Promise<{ s: Sock; token: string }> {
  const s = node.open();
  s.say(create ? "create_room" : "join_room", room, client, { name: client.toUpperCase(), media_url: create ? "m.mp4" : undefined });
  await net.settle();
  const got = s.got();
  const st = got.find((m) => m.type === "room_state");
  if (!st) throw new Error(`${client} got no room_state: ${JSON.stringify(got)}`);
  return { s, token: st.payload.resume_token };
}

describe("nodes that go", () => {
  test("the room's node dies: its participants elsewhere get room_missing and 1012, and the id is free", async () => {
    await seat(a, "movie", "alice", true);
    const { s: bob } = await seat(b, "movie", "bob");
    const { s: carol } = await seat(c, "movie", "carol");
    bob.got();
    await net.kill("A");
    for (const s of [bob, carol]) {
      expect(s.got()).toMatchObject([{ type: "error", room: "movie", payload: { code: "room_missing" } }]);
      expect(s.closedWith?.code).toBe(1012);
    }
    expect(await net.directory.owner("movie")).toBeNull();
    await seat(b, "movie", "bob", true);
  });

  test("a participant's node dies: the room's node lets its sockets go, host migration included", async () => {
    const { token } = await seat(b, "movie", "bob", true); // B holds the room, bob hosts it there
    const { s: alice } = await seat(a, "movie", "alice");
    const { s: carol } = await seat(c, "movie", "carol");
    // bob's tab reloads onto A: the host's seat of a room on B is now a socket on A
    const tab = a.open();
    tab.say("join_room", "movie", "bob", { name: "BOB", resume_token: token });
    await net.settle();
    expect(tab.types()).toEqual(["room_state"]);
    alice.got();
    carol.got();
    await net.kill("A");
    const got = carol.got();
    expect(got.filter((m) => m.type === "client_left").map((m) => m.client).sort()).toEqual(["alice", "bob"]);
    expect(got.find((m) => m.type === "host_change")?.payload.host_id).toBe("carol");
    expect(b.rooms.get("movie")!.participants.size).toBe(1);
  });

  test("a frame waiting for a node that dies gets room_missing; the socket carries on elsewhere", async () => {
    await seat(a, "movie", "alice", true);
    const { s: own } = await seat(b, "mine", "bob", true);
    net.lose.set("party:done", 1); // A never answers
    own.say("join_room", "movie", "bob");
    own.say("ping", null, "bob", { client_ts: 1 });
    await net.settle();
    expect(own.got()).toMatchObject([{ type: "room_state", room: "movie" }]);
    await net.kill("A");
    // the join had been taken there (bob sat in movie): its room is gone, the socket is closed
    expect(own.got().map((m) => m.type)).toEqual(["error"]);
    expect(own.closedWith?.code).toBe(1012);
  });

  test("a node restarted under the same id forgets the rooms of its previous run", async () => {
    await net.directory.claim("stale", "D");
    const d = net.add("D");
    await net.settle();
    expect(await net.directory.owner("stale")).toBeNull();
    await seat(d, "stale", "dora", true);
    expect(await net.directory.owner("stale")).toBe("D");
  });

  test("a room's node that does not answer in time: the socket is closed with 1012", async () => {
    await seat(a, "movie", "alice", true);
    const bob = b.open();
    net.lose.set("party:frame", 1);
    bob.say("join_room", "movie", "bob");
    await net.settle();
    expect(bob.closedWith).toBeNull();
    net.clock.advance(1001);
    await net.settle();
    expect(bob.closedWith?.code).toBe(1012);
  });

  test("cut off from Redis: the node lets go of every seat across nodes", async () => {
    const { s: alice } = await seat(a, "movie", "alice", true);
    const { s: bob } = await seat(b, "movie", "bob");
    const { s: local } = await seat(b, "home", "bo2", true);
    alice.got();
    b.readyNow = false;
    net.clock.advance(100);
    await net.settle();
    expect(bob.closedWith?.code).toBe(1012);
    expect(local.closedWith).toBeNull(); // a room of its own node goes on
    // A sees B gone (its heartbeats stopped) and lets bob go
    for (const fn of a.goneFns) fn("B");
    await net.settle();
    expect(alice.types()).toEqual(["client_left", "participants_update"]);
  });
});

describe("Redis restarts", () => {
  test("each node puts its rooms back into the directory", async () => {
    await seat(a, "one", "alice", true);
    await seat(b, "two", "bob", true);
    await net.directory.reap("A");
    await net.directory.reap("B");
    expect(await net.directory.owner("one")).toBeNull();
    await a.resync();
    await b.resync();
    expect(await net.directory.owner("one")).toBe("A");
    expect(await net.directory.owner("two")).toBe("B");
  });

  test("a room id another node took meanwhile is that node's: the old room ends with room_missing and 1012", async () => {
    const { s: alice } = await seat(a, "movie", "alice", true);
    const { s: bob } = await seat(b, "movie", "bob");
    await net.directory.reap("A");
    const { s: carol } = await seat(c, "movie", "carol", true); // the empty directory let C make it
    await a.resync();
    await net.settle();
    for (const s of [alice, bob]) {
      expect(s.got().at(-1)).toMatchObject({ type: "error", payload: { code: "room_missing" } });
      expect(s.closedWith?.code).toBe(1012);
    }
    expect(carol.closedWith).toBeNull();
    expect(await net.directory.owner("movie")).toBe("C");
    expect(a.rooms.count).toBe(0);
  });

  test("a leave that was lost is set right by the rosters after a resync", async () => {
    const { s: alice } = await seat(a, "movie", "alice", true);
    const { s: bob } = await seat(b, "movie", "bob");
    alice.got();
    net.lose.set("party:leave", 1);
    bob.close(1000);
    await net.settle();
    expect(a.rooms.get("movie")!.participants.has("bob")).toBe(true); // a ghost
    await a.resync();
    net.clock.advance(100);
    await net.settle();
    expect(a.rooms.get("movie")!.participants.has("bob")).toBe(false);
    expect(alice.types()).toEqual(["client_left", "participants_update"]);
  });

  test("a frame that was lost is sent again after a resync, and handled once", async () => {
    const { s: alice } = await seat(a, "movie", "alice", true);
    const { s: bob } = await seat(b, "movie", "bob");
    alice.got();
    net.lose.set("party:done", 1);
    bob.say("ping", null, "bob", { client_ts: 1 });
    bob.say("leave_room", null, "bob");
    bob.say("ping", null, "bob", { client_ts: 2 });
    await net.settle();
    expect(bob.types()).toEqual(["pong"]); // the second ping waits for the leave's answer
    await b.resync();
    net.clock.advance(100);
    await net.settle();
    expect(bob.types()).toEqual(["pong"]);
    expect(alice.types()).toEqual(["client_left", "participants_update"]); // once
    expect(bob.state.away).toBeNull();
  });
});

describe("with a JWT secret on every node", () => {
  const SECRET = "a-secret-every-node-shares-0123456789";

  test("the token's sub binds the socket, decided by the room's node; invites made there admit guests elsewhere", async () => {
    net = new FakeNet();
    a = net.add("A", { secret: SECRET });
    b = net.add("B", { secret: SECRET });
    const now = net.clock.now();
    const login = (sub: string) => signJwt(SECRET, { sub }, 600, { nowMs: now });
    const answered = (s: Sock) => waitFor(async () => (await net.settle(), s.sent.length > 0), { what: "an answer" });
    const host = a.open();
    host.say("create_room", "movie", null, { auth_token: await login("alice") });
    await answered(host);
    expect(host.got()[0]).toMatchObject({ type: "room_state", client: "alice" });
    // no token at all: auth_required, from the room's node, before anything about the room
    const anon = b.open();
    anon.say("join_room", "movie", "x");
    await answered(anon);
    expect(anon.got()[0].payload.code).toBe("auth_required");
    // a login on B: the socket is bound to its sub; another client id is refused on B itself
    const bob = b.open();
    bob.say("join_room", "movie", null, { auth_token: await login("bob") });
    await answered(bob);
    expect(bob.got()[0]).toMatchObject({ type: "room_state", client: "bob" });
    expect(bob.state.client).toBe("bob");
    bob.say("ping", null, "mallory", { client_ts: 1 });
    await net.settle();
    expect(bob.got()[0]).toMatchObject({ type: "error", client: "bob", payload: { code: "bad_request" } });
    // an invite from the host on A admits a guest without a login on B
    expect(host.types()).toEqual(["client_joined", "participants_update"]);
    host.say("create_invite", "movie", null, { expires_in: 60 });
    await answered(host);
    const inv = host.got().find((m) => m.type === "invite_created")!;
    const guest = b.open();
    guest.say("join_room", "movie", "guest", { invite_token: inv.payload.invite_token });
    await answered(guest);
    expect(guest.got()[0]).toMatchObject({ type: "room_state", client: "guest" });
  });
});
