// The watch party across nodes (docs/cluster.md#watch-party): three Switchboard processes on one
// real Redis, clients on any of them, and every rule of one node (room_exists, relays, host
// migration, the grace period, 4001 replacement, message order) holding across them.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { startNode, startRedis, type TestNode, type TestRedis } from "../../helpers/cluster.ts";
import { PATH, Peer, roomName } from "../../helpers/clients/syncparty.ts";
import { waitFor } from "../../helpers/wait.ts";
import { TestClient } from "../../helpers/ws-client.ts";

let redis: TestRedis;
let a: TestNode;
let b: TestNode;
let c: TestNode;
const open: Peer[] = [];

beforeAll(async () => {
  redis = await startRedis();
  [a, b, c] = await Promise.all([startNode(redis, "party-a"), startNode(redis, "party-b"), startNode(redis, "party-c")]);
  await waitFor(async () => ((await (await fetch(a.http + "/healthz")).json()) as any).cluster.nodes.length === 3, { what: "the three nodes to see each other", timeoutMs: 10_000 });
}, 60_000);
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
  await redis?.stop();
});
afterEach(() => {
  for (const p of open.splice(0)) p.close();
});

async function peer(node: TestNode, id: string): Promise<Peer> {
  const p = new Peer(await TestClient.open(node.ws(PATH)), id);
  open.push(p);
  return p;
}

/** Both told that someone joined (client_joined, then participants_update). */
async function toldJoined(...ps: Peer[]): Promise<void> {
  for (const p of ps) {
    await p.expect("client_joined");
    await p.expect("participants_update");
  }
}

describe("watch party across nodes", () => {
  test("a room made on node A is room_exists when made again on node B or C", async () => {
    const room = roomName("dup");
    const alice = await peer(a, "alice");
    await alice.create(room);
    for (const node of [b, c]) {
      const other = await peer(node, "bob");
      other.send("create_room", room, {});
      const err = await other.expectError("room_exists");
      expect(err.room).toBe(room);
    }
    expect(String(await redis.client.send("GET", [`sb:party:room:${room}`]))).toBe("party-a");
  });

  test("join from B; events from the host on A reach B, and from B reach A (free play)", async () => {
    const room = roomName("ev");
    const alice = await peer(a, "alice");
    await alice.create(room, { options: { free_play: true } });
    const bob = await peer(b, "bob");
    const st = await bob.join(room);
    expect(st.payload.participants.map((p: any) => p.client_id)).toEqual(["alice", "bob"]);
    const joined = await alice.expect("client_joined");
    expect(joined).toMatchObject({ client: "bob", payload: { name: "bob" } });
    await alice.expect("participants_update");

    alice.send("player_event", room, { action: "play", position: 12.5 }, { ts: 111 });
    expect(await bob.expect("player_event")).toMatchObject({ room, client: "alice", ts: 111, payload: { action: "play", position: 12.5 } });
    bob.send("player_event", room, { action: "pause", position: 14 }, { ts: 222 });
    expect(await alice.expect("player_event")).toMatchObject({ client: "bob", ts: 222, payload: { action: "pause", position: 14 } });
    bob.send("state_update", room, { position: 15, play_state: "paused", reported_latency: 2 });
    expect(await alice.expect("state_update")).toMatchObject({ client: "bob", payload: { position: 15, play_state: "paused", reported_latency: 2 } });
    alice.send("state_update", room, { reported_latency: 1 });
    expect(await bob.expect("state_update")).toMatchObject({ client: "alice", payload: { reported_latency: 1 } });
    // nobody gets its own relay back
    expect(await alice.quiet(200)).toBe(true);
    expect(await bob.quiet(0)).toBe(true);
  });

  test("room_state extrapolates the position the same for joiners on either node", async () => {
    const room = roomName("pos");
    const host = await peer(a, "host");
    await host.create(room, { start_pos: 100 });
    host.send("player_event", room, { action: "play", position: 100 });
    await Bun.sleep(300); // let the film play a little
    const onA = await peer(a, "ja");
    const onB = await peer(b, "jb");
    const [sa, sb] = [await onA.join(room), await onB.join(room)];
    for (const s of [sa, sb]) expect(s.payload.state.play_state).toBe("playing");
    expect(sb.payload.state.position).toBeGreaterThan(100.2);
    // both computed by the room's node: position minus the room node's send time is the same
    const base = (s: any) => s.payload.state.position - s.server_ts / 1000;
    expect(Math.abs(base(sa) - base(sb))).toBeLessThan(0.02);
  });

  test("the host leaving hands over to the oldest participant, on whichever node it is", async () => {
    const room = roomName("host");
    const host = await peer(a, "host");
    await host.create(room);
    const first = await peer(b, "first");
    await first.join(room);
    await toldJoined(host);
    const second = await peer(a, "second");
    await second.join(room);
    await toldJoined(host, first);
    const third = await peer(c, "third");
    await third.join(room);
    await toldJoined(host, first, second);
    host.close();
    for (const p of [first, second, third]) {
      expect(await p.expect("client_left")).toMatchObject({ client: "host" });
      const up = await p.expect("participants_update");
      expect(up.payload.participants[0]).toEqual({ client_id: "first", name: "first", is_host: true });
      expect(await p.expect("host_change")).toMatchObject({ client: "first", payload: { host_id: "first" } });
    }
    // the new host, on B, controls the room held on A
    first.send("player_event", room, { action: "play", position: 3 });
    expect(await third.expect("player_event")).toMatchObject({ client: "first" });
    expect(await second.expect("player_event")).toMatchObject({ client: "first" });
  });

  test("grace period: the host of an emptied room comes back through another node with its resume_token", async () => {
    const room = roomName("grace");
    const host = await peer(a, "host");
    await host.create(room, { media_url: "https://example.test/a.mp4" });
    const token = host.resumeToken!;
    host.close();
    await host.ws.waitClose();
    // without the token: forbidden, on any node; another id cannot re-create it
    const thief = await peer(c, "host");
    await waitFor(async () => {
      thief.send("join_room", room, {});
      return (await thief.next()).payload.code === "forbidden";
    }, { what: "the empty room to hold the host's seat" });
    const other = await peer(b, "other");
    other.send("create_room", room, {});
    await other.expectError("room_exists");
    const back = await peer(b, "host");
    const st = await back.join(room, { resume_token: token });
    expect(st.payload).toMatchObject({ host_id: "host", media_url: "https://example.test/a.mp4", resume_token: token });
    // the room is still A's, and the host is seated through B
    expect(String(await redis.client.send("GET", [`sb:party:room:${room}`]))).toBe("party-a");
    const guest = await peer(a, "guest");
    await guest.join(room);
    await toldJoined(back);
    back.send("player_event", room, { action: "seek", position: 9 });
    expect(await guest.expect("player_event")).toMatchObject({ client: "host", payload: { position: 9 } });
  });

  test("a tab reloaded on another node with its resume_token replaces the old socket (4001)", async () => {
    const room = roomName("reload");
    const host = await peer(a, "host");
    await host.create(room);
    const guest = await peer(a, "guest");
    await guest.join(room);
    await toldJoined(host);
    const token = guest.resumeToken!;
    const tab = await peer(c, "guest");
    const st = await tab.join(room, { resume_token: token });
    expect(st.payload.resume_token).toBe(token);
    expect((await guest.ws.waitClose()).code).toBe(4001);
    expect(await host.quiet(200)).toBe(true); // nothing changed for the others
    host.send("player_event", room, { action: "play", position: 1 });
    expect(await tab.expect("player_event")).toMatchObject({ client: "host" });
    // and back again, to a third node
    const tab2 = await peer(b, "guest");
    await tab2.join(room, { resume_token: token });
    expect((await tab.ws.waitClose()).code).toBe(4001);
    host.send("player_event", room, { action: "pause", position: 2 });
    expect(await tab2.expect("player_event")).toMatchObject({ payload: { action: "pause" } });
  });

  test("one socket's messages are answered in the order it sent them, across nodes", async () => {
    const room = roomName("order");
    const host = await peer(a, "host");
    await host.create(room);
    const g = await peer(b, "g");
    await g.join(room);
    for (let i = 0; i < 20; i++) {
      g.send(i % 2 ? "ping" : "player_event", room, i % 2 ? { client_ts: i } : { action: "play", position: i });
    }
    const got: string[] = [];
    for (let i = 0; i < 20; i++) {
      const m = await g.next();
      got.push(m.type === "pong" ? `pong ${m.payload.client_ts}` : m.payload.code);
    }
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 ? `pong ${i}` : "not_host")));
  });

  test("moving to a room on another node: the old room hears the socket leave", async () => {
    const [one, two] = [roomName("one"), roomName("two")];
    const h1 = await peer(a, "h1");
    await h1.create(one);
    const h2 = await peer(c, "h2");
    await h2.create(two);
    const mover = await peer(b, "mover");
    await mover.join(one);
    await toldJoined(h1);
    await mover.join(two);
    expect(await h1.expect("client_left")).toMatchObject({ client: "mover" });
    await toldJoined(h2);
    h1.send("player_event", one, { action: "play", position: 1 });
    h2.send("player_event", two, { action: "play", position: 2 });
    expect(await mover.expect("player_event")).toMatchObject({ room: two });
    expect(await mover.quiet(200)).toBe(true);
  });
});
