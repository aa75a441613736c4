// The clicker relay's caps (docs/clicker.md#caps), pure: new secrets per client address per minute
// (a known secret never refused), ids per LISTEN, a LISTEN that costs only what changes (its
// subscriptions diffed, one store read), and ids released to the store when their connection ends.
import { beforeEach, describe, expect, test } from "bun:test";
import { createLogger } from "../../../src/log.ts";
import { IssueLimit } from "../../../src/protocols/clicker/issue-limit.ts";
import { ClickerHub } from "../../../src/protocols/clicker/state.ts";
import { FakeClock } from "../../helpers/fakes.ts";
import { FakeConn, FakeHub, ManualTurns, MemoryStore, settle } from "./fakes.ts";

let hub: FakeHub;
let store: MemoryStore;
let turns: ManualTurns;
let clock: FakeClock;
let relay: ClickerHub;

/** A connection that counts its subscription changes. */
class CountingConn extends FakeConn {
  changes = 0;
  override subscribe(topic: string): void {
    this.changes++;
    super.subscribe(topic);
  }
  override unsubscribe(topic: string): void {
    this.changes++;
    super.unsubscribe(topic);
  }
}

function connect(ip = "198.51.100.7"): CountingConn {
  const c = new CountingConn(hub);
  c.state = relay.open(c, ip);
  return c;
}
async function say(c: FakeConn, ...lines: string[]): Promise<string[]> {
  for (const l of lines) relay.message(c.state, l);
  await settle();
  await turns.endTurn();
  return c.take();
}

beforeEach(() => {
  hub = new FakeHub();
  store = new MemoryStore();
  turns = new ManualTurns();
  clock = new FakeClock();
  const log = createLogger({ level: "error", format: "json", write: () => {} });
  relay = new ClickerHub({ store, topics: hub, defer: turns.defer, log, newIds: new IssueLimit(clock, 3), maxIdsPerListen: 4 });
});

describe("new secrets per client address per minute", () => {
  test("past the limit a REGISTER without a known secret gets ERROR too_many_new_ids and the connection stays; the limit refills over the minute", async () => {
    const c = connect();
    for (let i = 0; i < 3; i++) expect((await say(c, "REGISTER"))[0]).toMatch(/^REGISTERED \d{6} \w{32}$/);
    expect(await say(c, "REGISTER")).toEqual(["ERROR too_many_new_ids too many new ids from this address: try again in 20 s, or send your secret"]);
    expect(await say(c, "REGISTER not-a-secret-of-ours")).toEqual(["ERROR too_many_new_ids too many new ids from this address: try again in 20 s, or send your secret"]);
    expect(c.closedWith).toBeNull();
    expect(store.secrets.size).toBe(3); // nothing was issued for the refused ones
    clock.advance(20_000); // a third of a minute: one more
    expect((await say(c, "REGISTER"))[0]).toMatch(/^REGISTERED /);
    expect((await say(c, "REGISTER"))[0]).toMatch(/^ERROR too_many_new_ids /);
  });

  test("a REGISTER with a known secret is never refused and takes nothing from the address", async () => {
    const c = connect();
    const [first] = await say(c, "REGISTER");
    const secret = first!.split(" ")[2]!;
    await say(c, "REGISTER", "REGISTER"); // the address's three are used up
    const other = connect();
    expect(await say(other, `REGISTER ${secret}`)).toEqual([first!]);
    expect((await say(other, "REGISTER"))[0]).toMatch(/^ERROR too_many_new_ids /);
  });

  test("addresses are counted apart", async () => {
    const a = connect("198.51.100.1");
    const b = connect("198.51.100.2");
    await say(a, "REGISTER", "REGISTER", "REGISTER");
    expect((await say(a, "REGISTER"))[0]).toMatch(/^ERROR too_many_new_ids /);
    expect((await say(b, "REGISTER"))[0]).toMatch(/^REGISTERED /);
  });

  test("no id free at all (every one held by a connection): ERROR too_many_new_ids, never a close", async () => {
    store.register = async () => null; // what the store answers then
    const c = connect();
    expect(await say(c, "REGISTER")).toEqual(["ERROR too_many_new_ids every id is in use by a connection now: try again later"]);
    expect(c.closedWith).toBeNull();
  });

  test("IssueLimit: 0 is no limit; a refused address is told when to come back; memory is bounded", () => {
    const none = new IssueLimit(clock, 0);
    for (let i = 0; i < 1000; i++) expect(none.take("x")).toBe(true);
    const l = new IssueLimit(clock, 60, 2);
    for (let i = 0; i < 60; i++) expect(l.take("a")).toBe(true);
    expect(l.take("a")).toBe(false);
    expect(l.retryAfterS("a")).toBe(1);
    l.giveBack("a");
    expect(l.take("a")).toBe(true);
    l.take("b");
    l.take("c"); // "a" is forgotten: it starts full again
    expect(l.take("a")).toBe(true);
  });
});

describe("ids per LISTEN and what a LISTEN costs", () => {
  test("more ids than allowed is bad_arguments, and nothing changes", async () => {
    const l = connect();
    expect(await say(l, "LISTEN 000001 000002")).toEqual(["CONNECT"]);
    expect(await say(l, "LISTEN 000001,000002,000003,000004,000005")).toEqual(["ERROR bad_arguments at most 4 ids at once"]);
    expect(await say(l, "SUBSCRIBE 000001 000002 000003 000004 000005")).toEqual(["ERROR bad_arguments at most 4 ids at once"]);
    expect([...hub.subs.keys()].filter((t) => (hub.subs.get(t)?.size ?? 0) > 0).sort()).toEqual(["clicker:000001", "clicker:000002"]);
  });

  test("a LISTEN replacing another subscribes only what changed; the same LISTEN again changes nothing; one store read each", async () => {
    const reads: string[][] = [];
    const latest = store.latest.bind(store);
    store.latest = (ids) => (reads.push([...ids]), latest(ids));
    const l = connect();
    await say(l, "LISTEN 000001 000002 000003");
    expect(l.changes).toBe(3);
    await say(l, "LISTEN 000002 000003 000004");
    expect(l.changes).toBe(5); // 000001 out, 000004 in
    await say(l, "LISTEN 000002 000003 000004");
    expect(l.changes).toBe(5);
    await say(l, "SUBSCRIBE 000002"); // another draft: every topic changes
    expect(l.changes).toBe(5 + 3 + 1);
    expect(reads).toEqual([["000001", "000002", "000003"], ["000002", "000003", "000004"], ["000002", "000003", "000004"], ["000002"]]);
    expect(relay.listenerCount()).toBe(1);
  });

  test("an id whose latest score this process has seen is not read from the store; the catch-up still has it", async () => {
    const a = connect();
    const [r] = await say(a, "REGISTER");
    const id = r!.split(" ")[1]!;
    await say(a, "SCORE 5 1");
    const reads: string[][] = [];
    const latest = store.latest.bind(store);
    store.latest = (ids) => (reads.push([...ids]), latest(ids));
    const l = connect();
    expect(await say(l, `LISTEN ${id}`)).toEqual([`CONNECT ${id}`, `SCORE 5 ${id} 1`]);
    expect(reads).toEqual([]);
  });
});

describe("ids released when their connection ends", () => {
  test("the store hears of it once, from the connection that held the id (not from one replaced by it)", async () => {
    const a = connect();
    const [r] = await say(a, "REGISTER");
    const [, id, secret] = r!.split(" ");
    const b = connect();
    await say(b, `REGISTER ${secret}`); // takes the id over: a is closed with 4001
    relay.close(a.state);
    expect(store.released).toEqual([]);
    relay.close(b.state);
    await settle();
    expect(store.released).toEqual([id!]);
  });

  test("registering as another id releases the old one", async () => {
    const a = connect();
    const [r] = await say(a, "REGISTER");
    const old = r!.split(" ")[1];
    await say(a, "REGISTER");
    expect(store.released).toEqual([old!]);
  });
});
