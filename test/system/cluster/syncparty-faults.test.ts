// The watch party when things fail (docs/cluster.md#watch-party): a node killed with SIGKILL,
// Redis restarted, and one node cut off from Redis (through a TCP relay that the test cuts).
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { startNode, startRedis, type TestNode, type TestRedis } from "../../helpers/cluster.ts";
import { PATH, Peer, roomName } from "../../helpers/clients/syncparty.ts";
import { tcpProxy, type TcpProxy } from "../../helpers/tcp-proxy.ts";
import { waitFor } from "../../helpers/wait.ts";
import { TestClient } from "../../helpers/ws-client.ts";

let redis: TestRedis;
const nodes: TestNode[] = [];
const open: Peer[] = [];

beforeAll(async () => {
  redis = await startRedis();
}, 30_000);
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop().catch(() => {})));
  await redis?.stop();
});
afterEach(async () => {
  for (const p of open.splice(0)) p.close();
  // a test that failed half-way leaves its nodes: the next one starts with none
  await Promise.all(nodes.splice(0).map((n) => n.stop().catch(() => {})));
});

async function node(id: string, via: TestRedis = redis): Promise<TestNode> {
  const n = await startNode(via, id);
  nodes.push(n);
  return n;
}

async function peer(n: TestNode, id: string): Promise<Peer> {
  const p = new Peer(await TestClient.open(n.ws(PATH)), id);
  open.push(p);
  return p;
}

const health = async (n: TestNode) => {
  const r = await fetch(n.http + "/healthz");
  return { status: r.status, body: (await r.json()) as any };
};
/** n lists every one of `others` among the live nodes. */
const seesNodes = (n: TestNode, ...others: TestNode[]) =>
  waitFor(
    async () => {
      const live: string[] = (await health(n)).body.cluster.nodes;
      return others.every((o) => live.includes(o.id));
    },
    { what: `${n.id} to see ${others.map((o) => o.id).join(", ")}`, timeoutMs: 10_000 },
  );
const ownerOf = async (room: string) => {
  const v = await redis.client.send("GET", [`sb:party:room:${room}`]);
  return v == null ? null : String(v);
};

async function joined(room: string, ...ps: Peer[]): Promise<void> {
  for (const p of ps) {
    await p.join(room);
  }
}

describe("watch party: faults", () => {
  test("the room's node is SIGKILLed: participants elsewhere get room_missing, then 1012; the id is free again", async () => {
    const [a, b, c] = await Promise.all([node("kill-a"), node("kill-b"), node("kill-c")]);
    await seesNodes(b, a, c);
    const room = roomName("killed");
    const host = await peer(a, "host");
    await host.create(room);
    const onB = await peer(b, "onb");
    const onC = await peer(c, "onc");
    await joined(room, onB, onC);
    await onB.until("participants_update"); // onc's join
    await a.kill();
    nodes.splice(nodes.indexOf(a), 1);
    for (const p of [onB, onC]) {
      const err = await p.until("error", 8000);
      expect(err).toMatchObject({ room, payload: { code: "room_missing" } });
      expect((await p.ws.waitClose(3000)).code).toBe(1012);
    }
    await waitFor(async () => (await ownerOf(room)) === null, { what: "the dead node's rooms to be reaped", timeoutMs: 8000 });
    // the clients reconnect and make the room again, on a live node
    const again = await peer(b, "host");
    await again.create(room);
    expect(await ownerOf(room)).toBe("kill-b");
    const back = await peer(c, "onc");
    await back.join(room);
  }, 40_000);

  test("the room's node stops in order (SIGTERM): participants elsewhere are told at once, the id is free at once", async () => {
    const [a, b] = await Promise.all([node("term-a"), node("term-b")]);
    await seesNodes(b, a);
    const room = roomName("term");
    const host = await peer(a, "host");
    await host.create(room);
    const guest = await peer(b, "guest");
    await guest.join(room);
    await a.stop();
    nodes.splice(nodes.indexOf(a), 1);
    expect(await guest.until("error", 3000)).toMatchObject({ room, payload: { code: "room_missing" } });
    expect((await guest.ws.waitClose(3000)).code).toBe(1012);
    expect((await host.ws.waitClose(3000)).code).toBe(1001);
    expect(await ownerOf(room)).toBeNull();
  }, 30_000);

  test("a participant's node is SIGKILLed: its participants leave the room, and the host role moves on", async () => {
    const [a, b] = await Promise.all([node("pk-a"), node("pk-b")]);
    await seesNodes(a, b);
    const room = roomName("pk");
    const owner = await peer(a, "first");
    await owner.create(room);
    const guest = await peer(a, "guest");
    await guest.join(room);
    // the host's tab moves to B with its resume_token: the host now sits on B
    const hostOnB = await peer(b, "first");
    await hostOnB.join(room, { resume_token: owner.resumeToken });
    expect((await owner.ws.waitClose()).code).toBe(4001);
    await b.kill();
    nodes.splice(nodes.indexOf(b), 1);
    expect(await guest.until("client_left", 8000)).toMatchObject({ client: "first" });
    await guest.expect("participants_update");
    expect(await guest.expect("host_change")).toMatchObject({ payload: { host_id: "guest" } });
  }, 40_000);

  test("Redis restarts: rooms keep working across nodes, and each owner puts its rooms back", async () => {
    const [a, b] = await Promise.all([node("rr-a"), node("rr-b")]);
    await seesNodes(a, b);
    const room = roomName("rr");
    const host = await peer(a, "host");
    await host.create(room);
    const guest = await peer(b, "guest");
    await guest.join(room);
    await host.until("participants_update");
    await redis.restart();
    await waitFor(async () => (await health(a)).body.cluster.redis === "up" && (await health(b)).body.cluster.redis === "up", { what: "both nodes back on Redis", timeoutMs: 10_000 });
    await waitFor(async () => (await ownerOf(room)) === "rr-a", { what: "the room back in the directory", timeoutMs: 5000 });
    // the same room made on the other node is still room_exists
    const dup = await peer(b, "dup");
    dup.send("create_room", room, {});
    await dup.expectError("room_exists");
    // events go both ways again (the first may be sent while the nodes resubscribe)
    await waitFor(async () => {
      host.send("player_event", room, { action: "play", position: 5 });
      return (await guest.next(500).catch(() => null))?.type === "player_event";
    }, { what: "a relay from A to B", timeoutMs: 5000 });
    guest.send("ping", null, { client_ts: 1 });
    expect(await guest.until("pong")).toMatchObject({ room });
    const late = await peer(b, "late");
    expect((await late.join(room)).payload.host_id).toBe("host");
    expect(guest.ws.closed).toBeNull();
    expect(host.ws.closed).toBeNull();
  }, 40_000);

  test("a node cut off from Redis: not ready; its seats across nodes end; healed, its rooms are back", async () => {
    let relay: TcpProxy | null = null;
    try {
      relay = await tcpProxy(redis.port);
      const viaRelay: TestRedis = { ...redis, url: `redis://127.0.0.1:${relay.port}` };
      const [a, p] = await Promise.all([node("cut-a"), node("cut-p", viaRelay)]);
      await seesNodes(a, p);
      // a room held by P with a guest on A; a room held by A with a guest on P
      const [onP, onA] = [roomName("held-by-p"), roomName("held-by-a")];
      const hostP = await peer(p, "hp");
      await hostP.create(onP);
      const guestA = await peer(a, "ga");
      await guestA.join(onP);
      await hostP.until("participants_update");
      const hostA = await peer(a, "ha");
      await hostA.create(onA);
      const guestP = await peer(p, "gp");
      await guestP.join(onA);
      await hostA.until("participants_update");

      relay.cut();
      await waitFor(async () => (await health(p)).status === 503, { what: "the cut-off node to report not ready", timeoutMs: 8000 });
      expect((await health(p)).body.status).toBe("not_ready");
      // P lets its guest in A's room go, and A's guest in P's room sees the room gone
      expect((await guestP.ws.waitClose(5000)).code).toBe(1012);
      expect(await guestA.until("error", 8000)).toMatchObject({ room: onP, payload: { code: "room_missing" } });
      expect((await guestA.ws.waitClose(3000)).code).toBe(1012);
      expect(await hostA.until("client_left", 5000)).toMatchObject({ client: "gp" });
      expect(await hostP.until("client_left", 5000)).toMatchObject({ client: "ga" });
      // the local host of P's room is still in it
      hostP.send("ping", null, { client_ts: 3 });
      expect(await hostP.until("pong")).toMatchObject({ room: onP });

      relay.heal();
      await waitFor(async () => (await health(p)).status === 200, { what: "the node back", timeoutMs: 10_000 });
      await waitFor(async () => (await ownerOf(onP)) === "cut-p", { what: "its room back in the directory", timeoutMs: 5000 });
      await seesNodes(a, p); // the others count it alive again from their next heartbeat
      const again = await peer(a, "ga");
      await again.join(onP);
      expect(await hostP.until("client_joined", 5000)).toMatchObject({ client: "ga" });
    } finally {
      relay?.stop();
    }
  }, 60_000);
});
