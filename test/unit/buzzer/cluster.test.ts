// The buzzer mediator across nodes (docs/cluster.md#buzzer), with fakes: pools are the devices of
// their node, events reach every node's sockets once and in order, each in its own node's clock,
// commands for a pool run on its node, and the one quiz game runs on the leader. Faults (nodes
// dying, Redis restarting, a node cut off): cluster-faults.test.ts. The same flows against real
// nodes and Redis: test/system/cluster/buzzer*.test.ts.
import { beforeEach, describe, expect, test } from "bun:test";
import { World, type BuzzNode, type Sock } from "../../helpers/buzzer-nodes.ts";

const P = "/dev/ttyACM0";
const Q = "/dev/ttyUSB1";
let w: World;
let a: BuzzNode;
let b: BuzzNode;
let c: BuzzNode;

beforeEach(async () => {
  w = new World();
  // Their monotonic clocks started at different instants: B's reads 50 s more than A's, C's 7 s more.
  a = w.add("A", 0);
  b = w.add("B", 50_000);
  c = w.add("C", 7_000);
  await w.settle();
});

const role = (n: BuzzNode) => n.net.quiz.leadership.role;
const events = (s: Sock) => s.got().filter((m) => "event" in m);

describe("pools across nodes", () => {
  test("a pool's events reach the sockets of every node once, in order, each with ts in its own node's clock", async () => {
    const [onA, onB, onC] = [a.client(), b.client(), c.client()];
    const dev = a.plug(P, [2, 1]);
    dev.sink.buzz(2);
    dev.sink.disconnected(1);
    await w.settle();
    const seen = [onA, onB, onC].map(events);
    for (const got of seen) expect(got.map((e) => [e.event, e.buzzer])).toEqual([["connected", 1], ["connected", 2], ["buzz", 2], ["disconnected", 1]]);
    // The same instants: A's clock, B's (50 s ahead), C's (7 s ahead).
    const tsA = seen[0]!.map((e) => e.ts);
    expect(seen[1]!.map((e) => e.ts)).toEqual(tsA.map((t) => t + 50_000));
    expect(seen[2]!.map((e) => e.ts)).toEqual(tsA.map((t) => t + 7_000));
    expect(Object.keys(seen[1]![0])).toEqual(["event", "pool", "buzzer", "ts"]);
  });

  test("a node with no socket on /mediator gets no events; it does once one opens", async () => {
    const dev = a.plug(P, [1]);
    await w.settle();
    expect(b.interest.get("buzzer:events") ?? 0).toBe(0);
    const onB = b.client();
    expect(b.interest.get("buzzer:events")).toBe(1);
    dev.sink.buzz(1);
    await w.settle();
    expect(events(onB).map((e) => e.event)).toEqual(["buzz"]);
    onB.leave();
    expect(b.interest.get("buzzer:events")).toBe(0);
  });

  test("list buzzers and list pools answer for every node: device pools by id, then the phones", async () => {
    a.plug(Q, [4]);
    c.plug(P, [1, 2]);
    const phone = b.client(false);
    phone.say({ command: "phone_join", name: "Ann" });
    await w.settle();
    for (const n of [a, b, c]) {
      const s = n.client(false);
      s.say({ list: "buzzers" });
      s.say({ list: "pools" });
      await w.settle();
      expect(s.replies()).toEqual([
        { response: "buzzers", pools: [{ pool: P, buzzers: [1, 2] }, { pool: Q, buzzers: [4] }, { pool: "phones", buzzers: [1] }] },
        { response: "pools", pools: n === a ? [Q, P] : n === c ? [P, Q] : [P, Q] },
      ]);
    }
  });

  test("connect, disconnect and set_color for a pool on another node run there; replies come back in order", async () => {
    const dev = a.plug(P, [1, 2]);
    const onB = b.client();
    const onC = c.client();
    await w.settle();
    onB.got();
    onC.got();
    onB.say({ command: "connect", pool: P });
    onB.say({ command: "set_color", pool: P, buzzer: 2, color: [255, 0, 10] });
    onB.say({ command: "set_color", pool: P, buzzer: 9, color: [1, 2, 3] });
    onB.say({ list: "pools" });
    onB.say({ command: "disconnect", pool: P });
    await w.settle();
    const got = onB.got();
    expect(got.map((m) => m.result ?? m.response ?? m.error ?? m.event)).toEqual(["connect", "set_color", "invalid_data_type", "pools", "disconnect", "disconnected"]);
    expect(got[0]).toEqual({ result: "connect", pool: P, buzzers: [1, 2] });
    expect(got[2]).toEqual({ error: "invalid_data_type", message: "expected a buzzer connected to this pool", cause: "buzzer" });
    expect(got[5]).toMatchObject({ event: "disconnected", pool: P, buzzer: null });
    expect(dev.colors).toEqual([[2, [255, 0, 10]]]);
    expect(dev.closed).toBe(true);
    expect(events(onC)).toEqual([expect.objectContaining({ event: "disconnected", pool: P, buzzer: null })]);
    expect(w.traffic.filter((t) => t.kind === "buzzer:cmd").map((t) => `${t.from}>${t.to}`)).toEqual(["B>A", "B>A", "B>A", "B>A"]);
    // Gone from the directory: a connect now opens the device where the socket is.
    onB.say({ command: "connect", pool: P });
    await w.settle();
    b.device(P).sink.up([5]);
    await w.settle();
    expect(onB.replies()).toEqual([{ result: "connect", pool: P, buzzers: [5] }]);
  });

  test("operator rights are checked on the socket's node: nothing is routed without them", async () => {
    a.plug(P, [1]);
    const anon = b.client(false);
    await w.settle();
    anon.got();
    anon.say({ command: "set_color", pool: P, buzzer: 1, color: [1, 2, 3] });
    anon.say({ command: "disconnect", pool: P });
    anon.say({ command: "connect", pool: P }); // connect is open to everyone
    await w.settle();
    expect(anon.replies().map((m) => m.error ?? m.result)).toEqual(["forbidden", "forbidden", "connect"]);
    expect(w.traffic.filter((t) => t.kind === "buzzer:cmd").length).toBe(1);
  });

  test("connect to a pool away on its node waits there; its node dying answers with the reason", async () => {
    const dev = a.plug(P, [1]);
    dev.sink.down("unplugged");
    const onB = b.client();
    await w.settle();
    onB.got();
    onB.say({ command: "connect", pool: P });
    onB.say({ list: "pools" }); // waits behind the connect
    await w.settle();
    expect(onB.got()).toEqual([]);
    await w.kill("A");
    expect(onB.replies()).toEqual([
      { error: "connect", message: `The node that holds '${P}' is out of reach`, cause: null },
      { response: "pools", pools: [] },
    ]);
  });
});

describe("the quiz across nodes", () => {
  /** A phone on node n joined and synced so that its clock reads the node's clock + `ahead`; returns it and a press helper. */
  async function phone(n: BuzzNode, name: string, ahead: number) {
    const s = n.client(false);
    s.say({ command: "phone_join", name });
    const t = n.clock.mono() + ahead;
    s.say({ command: "sync_time", client_ts: t });
    await w.settle();
    const sync = s.replies().find((m) => m.result === "sync_time");
    s.say({ command: "sync_time", client_ts: t, previous: { client_ts: t, server_recv_ts: sync.server_recv_ts, server_send_ts: sync.server_send_ts, client_recv_ts: t } });
    await w.settle();
    s.got();
    /** Press `ago` ms before now, on the phone's clock. */
    const press = (ago: number) => s.say({ command: "press", client_ts: n.clock.mono() + ahead - ago });
    return { s, press };
  }

  test("one game: armed on one node, a phone on another and a receiver on a third, ordered by press time", async () => {
    const leader = [a, b, c].find((n) => role(n) === "lead")!;
    expect([a, b, c].filter((n) => role(n) === "follow").length).toBe(2);
    const recv = b.plug(Q, [3]);
    const kb = a.plug("/dev/input/event3", []);
    const ann = await phone(c, "Ann", 123_456);
    const boards = [a.client(false), b.client(false), c.client(false)];
    const op = (leader === c ? a : c).client();
    await w.settle();
    for (const s of boards) s.got();
    op.say({ command: "arm" });
    await w.settle();
    expect(op.got().slice(0, 2)).toEqual([{ result: "arm", round: 1 }, expect.objectContaining({ event: "armed", round: 1 })]);
    await w.pass(20);
    // Pressed (each on its own node's clock): the keyboard on A 5 ms ago, Ann on C 3 ms ago, the receiver on B now.
    kb.sink.buzz(30, a.clock.mono() - 5);
    ann.press(3);
    recv.sink.buzz(3);
    await w.pass(200);
    const seen = boards.map(events);
    const orders = seen.map((es) => es.filter((e) => e.event === "order").at(-1));
    for (const o of orders) expect(o.order.map((e: any) => [e.pool, e.buzzer, e.gap_ms])).toEqual([["/dev/input/event3", 30, 0], ["phones", 1, 2], [Q, 3, 5]]);
    // Each board reads the press times in its own node's clock.
    expect(orders[1].order[0].ts - orders[0].order[0].ts).toBe(50_000);
    expect(orders[2].order[0].ts - orders[0].order[0].ts).toBe(7_000);
    const first = seen[2]!.filter((e) => e.event === "first");
    expect(first).toEqual([{ event: "first", round: 1, pool: "/dev/input/event3", buzzer: 30, name: null, ts: orders[2].order[0].ts }]);
    // Ann's reply: the press in C's clock, and its outcome.
    expect(ann.s.replies().find((m) => m.result === "press")).toEqual({ result: "press", round: 1, pool: "phones", buzzer: 1, ts: orders[2].order[1].ts, outcome: "joined" });
    // list round from any node: the same round, each in its clock.
    const late = b.client(false);
    late.say({ list: "round" });
    await w.settle();
    const [snap] = late.replies();
    expect(snap).toMatchObject({ response: "round", round: 1, armed: true, first: { pool: "/dev/input/event3", ts: orders[1].order[0].ts } });
    expect(snap.order.map((e: any) => e.ts)).toEqual(orders[1].order.map((e: any) => e.ts));
  });

  test("game commands from a node that does not lead go to the leader; replies first, then the events, in order", async () => {
    const leader = [a, b, c].find((n) => role(n) === "lead")!;
    const other = [a, b, c].find((n) => n !== leader)!;
    const op = other.client();
    op.say({ command: "arm" });
    op.say({ command: "set_name", pool: P, buzzer: 1, name: "  Quizzly   Bears " });
    op.say({ command: "reset" });
    op.say({ list: "round" });
    await w.settle();
    expect(op.got().map((m) => m.result ?? m.response ?? m.event)).toEqual(["arm", "armed", "named", "set_name", "reset", "reset", "round"]);
    expect(await w.names.get(P, 1)).toBe("Quizzly Bears");
  });

  test("phones of every node are one pool: ids unique across nodes, a takeover on another node stops the old socket", async () => {
    const ann = b.client(false);
    ann.say({ command: "phone_join", name: "Ann" });
    const bob = c.client(false);
    bob.say({ command: "phone_join", name: "Bob" });
    await w.settle();
    const [ja] = ann.replies();
    const [jb] = bob.replies();
    expect([ja.buzzer, jb.buzzer]).toEqual([1, 2]);
    // Ann's second tab, on node A, takes her buzzer over.
    const tab = a.client(false);
    tab.say({ command: "phone_join", name: "Ann", phone_id: ja.phone_id });
    await w.settle();
    expect(tab.replies()).toEqual([{ result: "phone_join", pool: "phones", buzzer: 1, phone_id: ja.phone_id, name: "Ann" }]);
    ann.say({ command: "press", client_ts: 1 });
    await w.settle();
    expect(ann.replies()).toEqual([{ error: "phone", message: "join first: send phone_join", cause: null }]);
    // Bob's page closes: every node hears it, once.
    const watcher = a.client(false);
    bob.leave();
    await w.settle();
    expect(events(watcher)).toEqual([expect.objectContaining({ event: "disconnected", pool: "phones", buzzer: 2 })]);
    const s = a.client(false);
    s.say({ command: "connect", pool: "phones" });
    await w.settle();
    expect(s.replies()).toEqual([{ result: "connect", pool: "phones", buzzers: [1] }]);
  });

  test("a phone's new name becomes the buzzer's name on the leader, and every board hears it", async () => {
    const boards = [a.client(false), b.client(false), c.client(false)];
    const leader = [a, b, c].find((n) => role(n) === "lead")!;
    const elsewhere = [a, b, c].find((n) => n !== leader)!;
    const ann = elsewhere.client(false);
    ann.say({ command: "phone_join", name: "Ann" });
    await w.settle();
    for (const s of boards) expect(events(s).map((e) => [e.event, e.name ?? null])).toEqual([["connected", null], ["named", "Ann"]]);
    expect(await w.names.get("phones", 1)).toBe("Ann");
  });
});
