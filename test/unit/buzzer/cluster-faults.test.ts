// The buzzer mediator across nodes when things fail (docs/cluster.md#buzzer), with fakes: a node
// dying (the pools' node, the leader), Redis restarting, a node cut off from Redis, a node
// stopping in order or restarting under the same id.
import { beforeEach, describe, expect, test } from "bun:test";
import { HEARTBEAT_MS, World, type BuzzNode, type Sock } from "../../helpers/buzzer-nodes.ts";

const P = "/dev/ttyACM0";
const Q = "/dev/ttyUSB1";
let w: World;
let a: BuzzNode;
let b: BuzzNode;
let c: BuzzNode;

beforeEach(async () => {
  w = new World();
  a = w.add("A", 0);
  b = w.add("B", 50_000);
  c = w.add("C", 7_000);
  await w.settle();
});

const role = (n: BuzzNode) => n.net.quiz.leadership.role;
const events = (s: Sock) => s.got().filter((m) => "event" in m);
const ask = async (s: Sock, msg: object) => {
  s.say(msg);
  await w.settle();
  return s.replies().at(-1);
};

describe("buzzer across nodes: faults", () => {
  test("the pools' node dies: the others hear its pools go as unplugged receivers and its phones leave", async () => {
    a.plug(P, [1, 2]);
    a.plug(Q, []);
    const phone = a.client(false);
    phone.say({ command: "phone_join", name: "Ann" });
    const onB = b.client(false);
    const onC = c.client(false);
    await w.settle();
    onB.got();
    onC.got();
    await w.kill("A");
    for (const s of [onB, onC]) {
      const pools = events(s).filter((e) => "pool" in e); // A led the game: the next leader's reset comes too
      expect(pools.map((e) => [e.event, e.pool, e.buzzer])).toEqual([["disconnected", P, null], ["disconnected", Q, null], ["disconnected", "phones", 1]]);
    }
    expect(await ask(onB, { list: "buzzers" })).toEqual({ response: "buzzers", pools: [] });
    expect(await w.directory.all()).toEqual([]);
  });

  test("the leader dies mid-round: the next leader starts idle, every board is told, rounds go on from the last", async () => {
    const leader = [a, b, c].find((n) => role(n) === "lead")!;
    const rest = [a, b, c].filter((n) => n !== leader);
    const op = rest[0]!.client();
    op.say({ command: "arm" });
    op.say({ command: "arm" });
    await w.settle();
    const boards = rest.map((n) => n.client(false));
    await w.kill(leader.id);
    await w.pass(HEARTBEAT_MS * 2);
    const next = rest.find((n) => role(n) === "lead")!;
    expect(next).toBeDefined();
    expect(rest.filter((n) => role(n) === "follow").map((n) => n.net.quiz.leadership.leader)).toEqual([next.id]);
    for (const s of boards) expect(events(s).map((e) => [e.event, e.round])).toEqual([["reset", 2]]);
    expect(await ask(boards[0]!, { list: "round" })).toEqual({ response: "round", round: 2, armed: false, order: [], first: null });
    expect((await ask(op, { command: "arm" })).round).toBe(3);
  });

  test("a phone's press on its way to a leader that dies gets round_over; a game command waits for the next leader", async () => {
    const leader = [a, b, c].find((n) => role(n) === "lead")!;
    const other = [a, b, c].find((n) => n !== leader)!;
    const ann = other.client(false);
    ann.say({ command: "phone_join", name: "Ann" });
    const op = other.client();
    op.say({ command: "arm" });
    await w.settle();
    ann.got();
    op.got();
    leader.ready = false; // its answers are lost from here on
    ann.say({ command: "press", client_ts: 5 });
    op.say({ list: "round" });
    await w.settle();
    expect(ann.replies()).toEqual([]);
    await w.kill(leader.id);
    expect(ann.replies()).toEqual([{ result: "press", round: 1, pool: "phones", buzzer: 1, ts: expect.any(Number), outcome: "round_over" }]);
    await w.pass(HEARTBEAT_MS * 3);
    expect(op.replies()).toEqual([{ response: "round", round: 1, armed: false, order: [], first: null }]);
  });

  test("Redis restarts: pools and phones go back in, the lead stays, the round goes on", async () => {
    a.plug(P, [1]);
    const phone = c.client(false);
    phone.say({ command: "phone_join", name: "Ann" });
    const leader = [a, b, c].find((n) => role(n) === "lead")!;
    const op = b.client();
    op.say({ command: "arm" });
    await w.settle();
    const board = b.client(false);
    await w.restartRedis();
    expect(role(leader)).toBe("lead");
    expect(events(board)).toEqual([]);
    expect(await ask(board, { list: "buzzers" })).toEqual({ response: "buzzers", pools: [{ pool: P, buzzers: [1] }, { pool: "phones", buzzers: [1] }] });
    expect(await ask(board, { list: "round" })).toMatchObject({ round: 1, armed: true });
    // The phone keeps its buzzer: a new phone gets the next one.
    const bob = a.client(false);
    expect(await ask(bob, { command: "phone_join", name: "Bob" })).toMatchObject({ buzzer: 2 });
  });

  test("a node cut off from Redis: its own sockets keep its pools and get a game of their own; back, it follows again", async () => {
    const leader = [a, b, c].find((n) => role(n) === "lead")!;
    const cutOff = leader === c ? b : c;
    const dev = cutOff.plug(Q, [7]);
    const mine = cutOff.client();
    const elsewhere = a === cutOff ? b.client(false) : a.client(false);
    await w.settle();
    mine.got();
    elsewhere.got();
    await w.cut(cutOff.id);
    expect(role(cutOff)).toBe("alone");
    // The others hear its pool go; its own sockets hear the game start over, and go on with the pool.
    expect(events(elsewhere).map((e) => [e.event, e.pool, e.buzzer])).toEqual([["disconnected", Q, null]]);
    expect(events(mine).map((e) => e.event)).toEqual(["reset"]);
    dev.sink.buzz(7);
    mine.say({ command: "arm" });
    mine.say({ list: "buzzers" });
    await w.settle();
    expect(mine.got().map((m) => m.event ?? m.result ?? m.response)).toEqual(["buzz", "arm", "armed", "buzzers"]);
    expect(events(elsewhere)).toEqual([]);
    await w.heal(cutOff.id);
    expect(role(cutOff)).toBe("follow");
    expect(events(elsewhere).map((e) => [e.event, e.pool, e.buzzer])).toEqual([["connected", Q, 7]]);
    expect(events(mine).map((e) => e.event)).toEqual(["reset"]);
    expect(await ask(elsewhere, { list: "buzzers" })).toEqual({ response: "buzzers", pools: [{ pool: Q, buzzers: [7] }] });
  });

  test("reaped while its own look never saw it cut off (its connection came back at once): it still announces its pools", async () => {
    const dev = c.plug(Q, [7]);
    const elsewhere = a.client(false);
    await w.settle();
    elsewhere.got();
    // The others saw C gone and cleared up after it, between two of C's own heartbeats.
    c.ready = false;
    for (const fn of a.goneFns) fn("C");
    for (const fn of b.goneFns) fn("C");
    for (const fn of a.reapFns) await fn("C");
    c.reaped = true;
    await w.settle();
    expect(events(elsewhere).map((e) => [e.event, e.pool])).toEqual([["disconnected", Q]]);
    c.ready = true;
    // Twice (a connection that came back, then the other): announced once.
    for (const fn of [...c.resyncFns, ...c.resyncFns]) void fn();
    await w.pass(HEARTBEAT_MS * 3);
    expect(events(elsewhere).map((e) => [e.event, e.pool, e.buzzer])).toEqual([["connected", Q, 7]]);
    dev.sink.buzz(7);
    await w.settle();
    expect(events(elsewhere).map((e) => [e.event, e.buzzer])).toEqual([["buzz", 7]]);
  });

  test("a node stopping in order: the others hear its pools go at once, and the lead passes on", async () => {
    const leader = [a, b, c].find((n) => role(n) === "lead")!;
    leader.plug(P, [1]);
    const other = [a, b, c].find((n) => n !== leader)!;
    const s = other.client(false);
    await w.settle();
    s.got();
    await leader.net.stop();
    await w.settle();
    expect(events(s).map((e) => [e.event, e.pool])).toEqual([["disconnected", P]]);
    expect(await w.directory.all()).toEqual([]);
    await w.kill(leader.id);
    await w.pass(HEARTBEAT_MS * 2);
    expect([a, b, c].filter((n) => n !== leader && role(n) === "lead").length).toBe(1);
  });

  test("a node restarted under the same id forgets its previous run's pools and phones", async () => {
    await w.directory.put({ pool: P, node: "D", up: true, buzzers: [1], colors: true });
    await w.registry.join({ node: "D", conn: 4 }, "Old", null, 0);
    const s = a.client(false);
    await w.settle();
    const d = w.add("D", 1_000);
    await w.settle();
    expect(events(s).map((e) => [e.event, e.pool, e.buzzer])).toEqual([["disconnected", P, null], ["disconnected", "phones", 1]]);
    expect(await w.directory.all()).toEqual([]);
    expect(d.net.quiz.leadership.role).toBe("follow");
  });

  test("the same pool id on two nodes: the first holds it in the directory, the second keeps its own for its sockets", async () => {
    a.plug(P, [1]);
    await w.settle();
    b.plug(P, [2]);
    await w.settle();
    expect((await w.directory.get(P))?.node).toBe("A");
    expect(await ask(c.client(false), { list: "buzzers" })).toEqual({ response: "buzzers", pools: [{ pool: P, buzzers: [1] }] });
    expect(await ask(b.client(false), { list: "buzzers" })).toEqual({ response: "buzzers", pools: [{ pool: P, buzzers: [2] }] });
  });
});
