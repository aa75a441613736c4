import { beforeEach, describe, expect, test } from "bun:test";
import { createLogger } from "../../../src/log.ts";
import { ClickerHub, topicOf } from "../../../src/protocols/clicker/state.ts";
import { CorkingConn, FakeConn, FakeHub, ManualTurns, MemoryStore, settle } from "./fakes.ts";

let hub: FakeHub;
let store: MemoryStore;
let turns: ManualTurns;
let relay: ClickerHub;
let logged: string[];
let errors: number;

beforeEach(() => {
  hub = new FakeHub();
  store = new MemoryStore();
  turns = new ManualTurns();
  logged = [];
  errors = 0;
  const log = createLogger({ level: "error", format: "json", write: (l) => logged.push(l) });
  relay = new ClickerHub({ store, topics: hub, defer: turns.defer, log, onError: () => errors++ });
});

function connect(): FakeConn {
  const c = new FakeConn(hub);
  c.state = relay.open(c);
  return c;
}
async function say(c: FakeConn, ...lines: string[]): Promise<string[]> {
  for (const l of lines) relay.message(c.state, l);
  await settle();
  await turns.endTurn();
  return c.take();
}
async function register(c: FakeConn, secret = ""): Promise<{ id: string; secret: string }> {
  const [r] = await say(c, secret ? `REGISTER ${secret}` : "REGISTER");
  const [, id, s] = r!.split(" ");
  return { id: id!, secret: s! };
}

/** A registered sender and a connection listening to it, with the LISTEN reply consumed. */
async function senderAndListener(): Promise<{ a: FakeConn; l: FakeConn; id: string; secret: string }> {
  const a = connect();
  const l = connect();
  const r = await register(a);
  await say(l, `LISTEN ${r.id}`);
  return { a, l, ...r };
}

describe("clicker relay", () => {
  test("REGISTER answers with id and secret and tells the id's listeners", async () => {
    const l = connect();
    const a = connect();
    expect(await say(l, "LISTEN 100001")).toEqual(["CONNECT"]);
    expect(await say(a, "REGISTER")).toEqual([`REGISTERED 100001 ${store.secrets.keys().next().value}`]);
    expect(l.take()).toEqual(["CONNECT 100001"]);
    expect(relay.senderCount()).toBe(1);
    expect(relay.listenerCount()).toBe(1);
  });

  test("SCORE before REGISTER is not_registered; bad lines get their error and change nothing", async () => {
    const a = connect();
    expect(await say(a, "SCORE 1 1")).toEqual(["ERROR not_registered send REGISTER before SCORE"]);
    expect(await say(a, "NOPE", "SCORE x 1")).toEqual(["ERROR unknown_command unknown command NOPE", "ERROR bad_arguments timestamp must be a decimal integer, got x"]);
    expect(store.scores).toEqual([]);
    expect(errors).toBe(3);
  });

  test("scores of one turn are written in one batch, and SCORED never precedes the write", async () => {
    const a = connect();
    const b = connect();
    const l = connect();
    const ra = await register(a);
    const rb = await register(b);
    await say(l, `LISTEN ${ra.id},${rb.id}`);
    l.take();
    store.hold();
    relay.message(a.state, "SCORE 10 1");
    relay.message(b.state, "SCORE 20 1");
    relay.message(a.state, "SCORE 11 2");
    await settle();
    expect(turns.pending).toBe(1);
    await turns.endTurn();
    // The write is held: nothing may be acknowledged or broadcast yet.
    expect([a.sent, b.sent, l.sent]).toEqual([[], [], []]);
    store.letGo();
    await settle();
    expect(store.batches).toEqual([3]);
    expect(a.take()).toEqual(["SCORED 10", "SCORED 11"]);
    expect(b.take()).toEqual(["SCORED 20"]);
    expect(l.take()).toEqual([`SCORE 10 ${ra.id} 1`, `SCORE 20 ${rb.id} 1`, `SCORE 11 ${ra.id} 2`]);
  });

  test("a connection that can cork gets its SCORED replies of one commit in one cork, broadcasts as usual", async () => {
    const a = new CorkingConn(hub);
    a.state = relay.open(a);
    const { id } = await register(a);
    const l = connect();
    await say(l, `LISTEN ${id}`);
    l.take();
    a.corked.length = 0;
    expect(await say(a, "SCORE 1 1", "SCORE 2 1", "SCORE 3 1")).toEqual(["SCORED 1", "SCORED 2", "SCORED 3"]);
    expect(a.corked).toEqual([["SCORED 1", "SCORED 2", "SCORED 3"]]);
    expect(l.take()).toEqual([`SCORE 1 ${id} 1`, `SCORE 2 ${id} 1`, `SCORE 3 ${id} 1`]);
    // A sender that listens to itself still sees each SCORED before that score's broadcast.
    await say(a, `LISTEN ${id}`);
    expect(await say(a, "SCORE 4 2", "SCORE 5 2")).toEqual(["SCORED 4", `SCORE 4 ${id} 2`, "SCORED 5", `SCORE 5 ${id} 2`]);
    expect(store.batches.slice(-2)).toEqual([3, 2]);
  });

  test("a SCORE that joins the batch directly still answers before what the same connection sends next", async () => {
    const { a, id } = await senderAndListener();
    // SCORE, then LISTEN in the same turn: the LISTEN waits for the SCORE's commit.
    relay.message(a.state, "SCORE 1 1");
    relay.message(a.state, `LISTEN ${id}`);
    await settle();
    expect(a.take()).toEqual([]);
    await turns.endTurn();
    await settle();
    expect(a.take()).toEqual(["SCORED 1", `CONNECT ${id}`, `SCORE 1 ${id} 1`]);
    // A SCORE that arrives while the previous batch is still being written waits for its reply
    // and goes into the next batch, even with a store that answers late.
    store.hold();
    relay.message(a.state, "SCORE 2 1");
    await turns.endTurn();
    relay.message(a.state, "SCORE 3 1");
    await settle();
    expect(turns.pending).toBe(0);
    store.letGo();
    await settle();
    expect(a.take()).toEqual(["SCORED 2", `SCORE 2 ${id} 1`]);
    await turns.endTurn();
    expect(a.take()).toEqual(["SCORED 3", `SCORE 3 ${id} 1`]);
    expect(store.batches.slice(-3)).toEqual([1, 1, 1]);
  });

  test("a retried (id, timestamp) is acknowledged again but not broadcast twice, even in one batch", async () => {
    const { a, l, id } = await senderAndListener();
    expect(await say(a, "SCORE -5 1", "SCORE -5 1")).toEqual(["SCORED -5", "SCORED -5"]);
    expect(await say(a, "SCORE -5 9")).toEqual(["SCORED -5"]);
    expect(l.take()).toEqual([`SCORE -5 ${id} 1`]);
    expect(store.scores).toEqual([{ id, ts: -5n, score: 1n }]);
  });

  test("LISTEN: live subset in the order asked, then each one's latest stored score", async () => {
    const [a, b, c] = [connect(), connect(), connect()];
    const ra = await register(a);
    const rb = await register(b);
    const rc = await register(c);
    // Timestamps wrap: the latest is the last stored, not the largest.
    await say(a, "SCORE 4294967290 7", "SCORE 3 8");
    await say(b, "SCORE 1 1");
    await say(c, "SCORE 9 9");
    c.close(1000);
    relay.close(c.state);
    const l = connect();
    expect(await say(l, `LISTEN ${rb.id} 999999,${rc.id} ${ra.id}`)).toEqual([
      `CONNECT ${rb.id} ${ra.id}`,
      `SCORE 1 ${rb.id} 1`,
      `SCORE 3 ${ra.id} 8`,
    ]);
    // A new LISTEN replaces the set: the old ids' topics are left.
    expect(await say(l, `LISTEN ${rc.id}`)).toEqual(["CONNECT"]);
    expect(hub.subs.get(topicOf(ra.id))?.has(l)).toBe(false);
    expect(await say(a, "SCORE 4 9")).toEqual(["SCORED 4"]);
    expect(l.take()).toEqual([]);
  });

  test("a listener that arrives while its catch-up read is slow still ends on the newest score", async () => {
    const a = connect();
    const { id } = await register(a);
    await say(a, "SCORE 1 1");
    const l = connect();
    store.hold();
    relay.message(l.state, `LISTEN ${id}`);
    relay.message(a.state, "SCORE 2 2");
    await settle();
    await turns.endTurn();
    store.letGo();
    await settle();
    const seen = l.take();
    expect(seen[0]).toBe(`CONNECT ${id}`);
    expect(seen.at(-1)).toBe(`SCORE 2 ${id} 2`);
  });

  test("DISCONNECT goes to listeners when a sender's socket closes", async () => {
    const { a, l, id } = await senderAndListener();
    relay.close(a.state);
    expect(l.take()).toEqual([`DISCONNECT ${id}`]);
    expect(relay.isLive(id)).toBe(false);
  });

  test("REGISTER with a known secret takes the id over: old socket closed 4001, no DISCONNECT", async () => {
    const { a: old, l, id, secret } = await senderAndListener();
    const fresh = connect();
    expect(await say(fresh, `REGISTER ${secret}`)).toEqual([`REGISTERED ${id} ${secret}`]);
    expect(old.closedWith?.code).toBe(4001);
    relay.close(old.state); // the transport reports the close later
    expect(l.take()).toEqual([`CONNECT ${id}`]);
    expect(relay.isLive(id)).toBe(true);
    expect(await say(fresh, "SCORE 1 1")).toEqual(["SCORED 1"]);
    expect(l.take()).toEqual([`SCORE 1 ${id} 1`]);
  });

  test("commands wait for the one before: a SCORE sent right behind REGISTER is accepted", async () => {
    const a = connect();
    store.hold();
    relay.message(a.state, "REGISTER");
    relay.message(a.state, "SCORE 1 1");
    relay.message(a.state, "BOGUS");
    await settle();
    expect(a.sent).toEqual([]);
    store.letGo();
    await settle();
    await turns.endTurn();
    const [reg, ...rest] = a.take();
    expect(reg).toMatch(/^REGISTERED \d{6} \S+$/);
    expect(rest).toEqual(["SCORED 1", "ERROR unknown_command unknown command BOGUS"]);
  });

  test("REGISTER again on a registered connection: own secret repeats it, anything else moves it to that id", async () => {
    const a = connect();
    const first = await register(a);
    const b = connect();
    const other = await register(b);
    const l = connect();
    await say(l, `LISTEN ${first.id} ${other.id}`);
    l.take();
    expect(await say(a, `REGISTER ${first.secret.toUpperCase()}`)).toEqual([`REGISTERED ${first.id} ${first.secret}`]);
    expect(l.take()).toEqual([]);
    const fresh = await register(a);
    expect(fresh.id).not.toBe(first.id);
    expect(l.take()).toEqual([`DISCONNECT ${first.id}`]);
    expect(relay.isLive(first.id)).toBe(false);
    expect(await say(a, `REGISTER ${other.secret}`)).toEqual([`REGISTERED ${other.id} ${other.secret}`]);
    expect(b.closedWith?.code).toBe(4001);
    relay.close(b.state);
    expect(l.take()).toEqual([`CONNECT ${other.id}`]);
    expect(relay.isLive(fresh.id)).toBe(false);
    expect(relay.senderCount()).toBe(1);
    expect(await say(a, "SCORE 1 1")).toEqual(["SCORED 1"]);
    expect(l.take()).toEqual([`SCORE 1 ${other.id} 1`]);
  });

  test("a failed write: no SCORED but ERROR storage_unavailable (the clicker retries), and the connection goes on", async () => {
    const a = connect();
    await register(a);
    store.failNext = true;
    expect(await say(a, "SCORE 1 1")).toEqual(["ERROR storage_unavailable not stored, send it again later (disk full)"]);

    expect(await say(a, "SCORE 1 1")).toEqual(["SCORED 1"]);
    expect(a.closedWith).toBeNull();
  });

  test("stop() commits the batch that is still waiting for its turn to end", async () => {
    const a = connect();
    await register(a);
    relay.message(a.state, "SCORE 5 5");
    await settle();
    expect(store.scores).toEqual([]);
    await relay.stop();
    expect(store.scores.length).toBe(1);
    expect(a.take()).toEqual(["SCORED 5"]);
    await turns.endTurn(); // the deferred flush finds nothing left to do
    expect(store.batches).toEqual([1]);
  });

  test("a closed connection's queued commands are dropped", async () => {
    const a = connect();
    store.hold();
    relay.message(a.state, "REGISTER");
    relay.message(a.state, "SCORE 1 1");
    relay.close(a.state);
    store.letGo();
    await settle();
    await turns.endTurn();
    expect(store.scores).toEqual([]);
    expect(relay.senderCount()).toBe(0);
  });
});
