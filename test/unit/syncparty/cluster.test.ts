// The watch party across nodes (docs/cluster.md#watch-party), with fakes: rooms live on the node
// that made them, participants elsewhere are proxied to it, and what they see is what they would
// see on one node. The same flows against real nodes and Redis: test/system/cluster/syncparty.test.ts.
import { beforeEach, describe, expect, test } from "bun:test";
import { FakeNet, type PartyNode, type Sock } from "../../helpers/party-nodes.ts";
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

describe("rooms across nodes", () => {
  test("a room id made on one node is room_exists on every other; the directory says where it lives", async () => {
    await seat(a, "movie", "alice", true);
    expect(await net.directory.owner("movie")).toBe("A");
    const bob = b.open();
    bob.say("create_room", "movie", "bob");
    await net.settle();
    const [err] = bob.got();
    expect(err).toMatchObject({ type: "error", room: "movie", client: "bob", payload: { code: "room_exists" } });
    expect(b.rooms.count).toBe(0);
    expect(await net.directory.roomsOf("B")).toEqual([]);
  });

  test("join from another node: the joiner gets room_state, the others client_joined then participants_update", async () => {
    const { s: alice } = await seat(a, "movie", "alice", true);
    const { s: bob } = await seat(b, "movie", "bob");
    expect(alice.types()).toEqual(["client_joined", "participants_update"]);
    expect(bob.state.away).toEqual({ room: "movie", node: "A" });
    expect(a.rooms.get("movie")!.participants.size).toBe(2);
    expect(b.rooms.count).toBe(0);
    // a third node's participant is seen by both
    await seat(c, "movie", "carol");
    const [joined, update] = bob.got();
    expect(joined).toMatchObject({ type: "client_joined", client: "carol", payload: { name: "CAROL" } });
    expect(update.payload.participants.map((p: any) => p.client_id)).toEqual(["alice", "bob", "carol"]);
    expect(alice.types()).toEqual(["client_joined", "participants_update"]);
  });

  test("relays reach every other participant on every node, never the sender", async () => {
    const { s: alice } = await seat(a, "movie", "alice", true);
    const { s: alice2 } = await seat(a, "movie", "al2");
    const { s: bob } = await seat(b, "movie", "bob");
    const { s: bob2 } = await seat(b, "movie", "bo2");
    const { s: carol } = await seat(c, "movie", "carol");
    for (const s of [alice, alice2, bob, bob2, carol]) s.got();
    net.log.length = 0;
    alice.say("player_event", "movie", "alice", { action: "play", position: 5 });
    await net.settle();
    for (const s of [alice2, bob, bob2, carol]) expect(s.got()).toMatchObject([{ type: "player_event", client: "alice", payload: { action: "play", position: 5 } }]);
    expect(alice.got()).toEqual([]);
    // one message per node for the relay, not one per socket
    const fans = net.log.filter((m) => m.kind === "party:fan");
    expect(fans.map((m) => m.to).sort()).toEqual(["B", "C"]);
  });

  test("a non-host on another node gets not_host, and its next frames stay in order behind it", async () => {
    await seat(a, "movie", "alice", true);
    const { s: bob } = await seat(b, "movie", "bob");
    bob.got();
    bob.say("player_event", "movie", "bob", { action: "play", position: 1 });
    bob.say("ping", null, "bob", { client_ts: 7 });
    bob.say("state_update", null, "bob", { position: 3 });
    bob.say("ping", null, "bob", { client_ts: 8 });
    expect(bob.got()).toEqual([]); // nothing answered before the room's node has
    await net.settle();
    const got = bob.got();
    expect(got.map((m) => [m.type, m.payload.code ?? m.payload.client_ts])).toEqual([
      ["error", "not_host"],
      ["pong", 7],
      ["error", "not_host"],
      ["pong", 8],
    ]);
    expect(got[1].room).toBe("movie"); // the pong names the room it sits in, on another node
  });

  test("a host on another node controls the room; the state and room_state are the room node's", async () => {
    const { s: alice } = await seat(a, "movie", "alice", true);
    const { s: bob } = await seat(b, "movie", "bob");
    alice.say("leave_room", null, "alice");
    await net.settle();
    expect(bob.types()).toEqual(["client_left", "participants_update", "host_change"]);
    bob.say("player_event", "movie", "bob", { action: "play", position: 20 });
    await net.settle();
    net.clock.advance(2500);
    const { s: carol } = await seat(c, "movie", "carol");
    void carol;
    const r = a.rooms.get("movie")!;
    expect(r.playState).toBe("playing");
    expect(a.rooms.positionOf(r)).toBe(22.5);
    const joiner = c.open();
    joiner.say("join_room", "movie", "dave");
    await net.settle();
    const st = joiner.got()[0];
    expect(st.payload.state).toEqual({ position: 22.5, play_state: "playing" });
    expect(st.payload.host_id).toBe("bob");
  });

  test("the host leaving hands over to the oldest participant, wherever it is", async () => {
    const { s: alice } = await seat(a, "movie", "alice", true);
    const { s: bob } = await seat(b, "movie", "bob");
    const { s: carol } = await seat(c, "movie", "carol");
    for (const s of [bob, carol]) s.got();
    alice.close(1000);
    await net.settle();
    for (const s of [bob, carol]) {
      const got = s.got();
      expect(got.map((m) => m.type)).toEqual(["client_left", "participants_update", "host_change"]);
      expect(got[2]).toMatchObject({ client: "bob", payload: { host_id: "bob" } });
    }
    bob.close(1000);
    await net.settle();
    expect(carol.got()[2]).toMatchObject({ type: "host_change", payload: { host_id: "carol" } });
  });

  test("grace period: the host comes back through another node with its resume_token", async () => {
    const { s: alice, token } = await seat(a, "movie", "alice", true);
    alice.close(1000);
    await net.settle();
    expect(a.rooms.get("movie")!.participants.size).toBe(0);
    // another id cannot create it; without the token the host cannot take it back
    const eve = c.open();
    eve.say("create_room", "movie", "eve");
    const back = b.open();
    back.say("join_room", "movie", "alice");
    await net.settle();
    expect(eve.got()[0].payload.code).toBe("room_exists");
    expect(back.got()[0].payload.code).toBe("forbidden");
    back.say("create_room", "movie", "alice", { resume_token: token, media_url: "ignored.mp4" });
    await net.settle();
    const st = back.got()[0];
    expect(st).toMatchObject({ type: "room_state", payload: { host_id: "alice", media_url: "m.mp4", resume_token: token } });
    expect(back.state.away).toEqual({ room: "movie", node: "A" });
  });

  test("grace period ends on the room's node: the id is free on every node", async () => {
    const { s: alice } = await seat(a, "movie", "alice", true);
    alice.close(1000);
    await net.settle();
    net.clock.advance(1001);
    await net.settle();
    expect(await net.directory.owner("movie")).toBeNull();
    await seat(b, "movie", "bob", true);
    expect(await net.directory.owner("movie")).toBe("B");
  });

  test("a reloaded tab on another node with its resume_token replaces the old socket (4001)", async () => {
    const { s: alice } = await seat(a, "movie", "alice", true);
    const { s: bob, token } = await seat(b, "movie", "bob");
    alice.got();
    const tab = c.open();
    tab.say("join_room", "movie", "bob");
    await net.settle();
    expect(tab.got()[0].payload.code).toBe("forbidden");
    expect(bob.closedWith).toBeNull();
    tab.say("join_room", "movie", "bob", { name: "BOB", resume_token: token });
    await net.settle();
    expect(bob.closedWith?.code).toBe(4001);
    expect(tab.got()[0]).toMatchObject({ type: "room_state", payload: { resume_token: token } });
    expect(alice.got()).toEqual([]); // nothing changed for the others
    alice.say("player_event", "movie", "alice", { action: "pause", position: 1 });
    await net.settle();
    expect(tab.types()).toEqual(["player_event"]);
    expect(bob.got()).toEqual([]);
    // the replaced socket's close does not take the seat away
    expect(a.rooms.get("movie")!.participants.get("bob")).toBeDefined();
  });

  test("a local tab takes a seat back from a socket on another node (4001 across nodes)", async () => {
    await seat(a, "movie", "alice", true);
    const { s: bob, token } = await seat(b, "movie", "bob");
    const tab = a.open();
    tab.say("join_room", "movie", "bob", { resume_token: token });
    await net.settle();
    expect(bob.closedWith?.code).toBe(4001);
    expect(tab.got()[0].type).toBe("room_state");
    expect(bob.state.away).toBeNull();
  });

  test("joining a room on another node moves the socket: the old room's others are told", async () => {
    const { s: alice } = await seat(a, "one", "alice", true);
    const { s: carol } = await seat(c, "two", "carol", true);
    const { s: bob } = await seat(b, "one", "bob");
    alice.got();
    bob.say("join_room", "two", "bob");
    await net.settle();
    expect(bob.types()).toEqual(["room_state"]);
    expect(alice.types()).toEqual(["client_left", "participants_update"]);
    expect(carol.types()).toEqual(["client_joined", "participants_update"]);
    expect(bob.state.away).toEqual({ room: "two", node: "C" });
    alice.say("player_event", "one", "alice", { action: "play", position: 1 });
    await net.settle();
    expect(bob.got()).toEqual([]);
    // and back to a room of its own node, then to a room elsewhere again
    bob.say("create_room", "three", "bob");
    await net.settle();
    expect(bob.types()).toEqual(["room_state"]);
    expect(carol.types()).toEqual(["client_left", "participants_update"]);
    expect(bob.state.away).toBeNull();
    bob.say("join_room", "one", "bob");
    await net.settle();
    expect(bob.types()).toEqual(["room_state"]);
    expect(b.rooms.get("three")!.participants.size).toBe(0);
  });

  test("the binding holds across nodes: after joining elsewhere, another client id is bad_request", async () => {
    await seat(a, "movie", "alice", true);
    const { s: bob } = await seat(b, "movie", "bob");
    bob.say("player_event", "movie", "mallory", { action: "play", position: 1 });
    bob.say("join_room", "other", "mallory");
    await net.settle();
    expect(bob.got().map((m) => [m.payload.code, m.client])).toEqual([
      ["bad_request", "bob"],
      ["bad_request", "bob"],
    ]);
  });

  test("outsiders naming a room on another node get its node's answer", async () => {
    await seat(a, "movie", "alice", true);
    await seat(a, "free", "al2", true);
    a.rooms.get("free")!.options.free_play = true;
    const x = b.open();
    x.say("player_event", "movie", "x", { action: "play", position: 1 });
    x.say("player_event", "free", "x", { action: "play", position: 1 });
    x.say("player_event", "nowhere", "x", { action: "play", position: 1 });
    x.say("leave_room", "movie", "x");
    await net.settle();
    expect(x.got().map((m) => m.payload.code)).toEqual(["not_host", "forbidden", "room_missing", "bad_request"]);
  });

  test("private rooms: an invite made by a host on another node admits a guest on a third", async () => {
    const bob = b.open();
    await seat(a, "placeholder", "zed", true);
    bob.say("create_room", "vip", "bob", { options: { private: true } });
    await net.settle();
    bob.got();
    // the room lives on B; its host sits on B; a guest on C needs the invite B made
    const g = c.open();
    g.say("join_room", "vip", "g");
    await net.settle();
    expect(g.got()[0].payload.code).toBe("invite_required");
    // tokens are signed and checked asynchronously (jose): wait for the answers
    const answered = (s: Sock) => waitFor(async () => (await net.settle(), s.sent.length > 0), { what: "an answer" });
    bob.say("create_invite", "vip", "bob", { expires_in: 60 });
    await answered(bob);
    const inv = bob.got()[0];
    expect(inv.type).toBe("invite_created");
    g.say("join_room", "vip", "g", { invite_token: inv.payload.invite_token });
    await answered(g);
    expect(g.got()[0].type).toBe("room_state");
  });
});
