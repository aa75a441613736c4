// The relay speaking both drafts at once (docs/clicker.md#draft-2), on fake connections and the
// real SQLite store: draft-2 SCORE answered SCORED <msgId> <timestamp>, its retries, SUBSCRIBE
// listeners in draft-2 order and LISTEN listeners in draft-1 order whoever sent the score.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { createLogger, silentLogger } from "../../../src/log.ts";
import { ClickerHub } from "../../../src/protocols/clicker/state.ts";
import { SqliteClickerStore } from "../../../src/protocols/clicker/store.ts";
import { migrations } from "../../../src/store/migrations.ts";
import { openLocalStore, type LocalStore } from "../../../src/store/db.ts";
import { FakeConn, FakeHub } from "../../helpers/fakes.ts";
import { tempDir } from "../../helpers/server.ts";

let dir: string;
let db: LocalStore;
let topics: FakeHub & { published: string[] };
let relay: ClickerHub;
let deferred: Array<() => void>;

beforeEach(() => {
  dir = tempDir("switchboard-clicker-relay2-");
  db = openLocalStore(dir, silentLogger, migrations);
  deferred = [];
  const hub = new FakeHub();
  // Records every publish, to see that nothing is fanned out to a draft nobody listens in.
  topics = Object.assign(hub, { published: [] as string[] });
  const publish = hub.publish.bind(hub);
  hub.publish = (topic, data) => {
    topics.published.push(`${topic} ${data}`);
    publish(topic, data);
  };
  relay = new ClickerHub({ store: new SqliteClickerStore(db.db), topics, defer: (fn) => deferred.push(fn), log: createLogger({ level: "error", format: "json", write: () => {} }) });
});
afterEach(async () => {
  await relay.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function connect(): FakeConn {
  const c = new FakeConn(topics);
  c.state = relay.open(c);
  return c;
}
/** Sends the lines, ends the event-loop turn (the batch commits), returns what c received. */
async function say(c: FakeConn, ...lines: string[]): Promise<string[]> {
  for (const l of lines) relay.message(c.state, l);
  for (let i = 0; i < 5; i++) {
    for (const f of deferred.splice(0)) f();
    await Bun.sleep(1);
  }
  return c.take();
}
async function register(c: FakeConn): Promise<string> {
  const [r] = await say(c, "REGISTER");
  return r!.split(" ")[1]!;
}

describe("draft-2 on the relay", () => {
  test("SCORE <msgId> <timestamp> <score> → SCORED <msgId> <timestamp>, tokens as sent", async () => {
    const a = connect();
    await register(a);
    expect(await say(a, "SCORE 1 -1190000000 1", "SCORE 02 -1189999000 2", "SCORE 3 5 3\r\n")).toEqual(["SCORED 1 -1190000000", "SCORED 02 -1189999000", "SCORED 3 5"]);
    expect(await say(a, "SCORE 9 1")).toEqual(["SCORED 9"]); // draft-1 on the same connection
  });

  test("SUBSCRIBE and LISTEN listeners mixed: each gets its own word order, whoever sent the score", async () => {
    const d2 = connect();
    const d1 = connect();
    const id2 = await register(d2);
    const id1 = await register(d1);
    const sub = connect();
    const lis = connect();
    expect(await say(sub, `SUBSCRIBE ${id2},${id1}`)).toEqual([`CONNECT ${id2} ${id1}`]);
    expect(await say(lis, `LISTEN ${id2} ${id1}`)).toEqual([`CONNECT ${id2} ${id1}`]);
    await say(d2, "SCORE 1 1000 1");
    await say(d1, "SCORE 2000 7");
    expect(sub.take()).toEqual([`SCORE 1000 1 ${id2}`, `SCORE 2000 7 ${id1}`]);
    expect(lis.take()).toEqual([`SCORE 1000 ${id2} 1`, `SCORE 2000 ${id1} 7`]);
  });

  test("a retry of a stored (id, msgId) is acknowledged again and broadcast once", async () => {
    const a = connect();
    const id = await register(a);
    const sub = connect();
    const lis = connect();
    await say(sub, `SUBSCRIBE ${id}`);
    await say(lis, `LISTEN ${id}`);
    expect(await say(a, "SCORE 1 100 1", "SCORE 1 100 1")).toEqual(["SCORED 1 100", "SCORED 1 100"]);
    // A retry with another timestamp (the clicker re-stamped it) is still msgId 1.
    expect(await say(a, "SCORE 1 150 1", "SCORE 2 100 2")).toEqual(["SCORED 1 150", "SCORED 2 100"]);
    expect(sub.take()).toEqual([`SCORE 100 1 ${id}`, `SCORE 100 2 ${id}`]);
    expect(lis.take()).toEqual([`SCORE 100 ${id} 1`, `SCORE 100 ${id} 2`]);
  });

  test("the late-join catch-up comes in each listener's draft", async () => {
    const a = connect();
    const id = await register(a);
    await say(a, "SCORE 1 100 5", "SCORE 2 200 6");
    expect(await say(connect(), `SUBSCRIBE ${id}`)).toEqual([`CONNECT ${id}`, `SCORE 200 6 ${id}`]);
    expect(await say(connect(), `LISTEN ${id}`)).toEqual([`CONNECT ${id}`, `SCORE 200 ${id} 6`]);
  });

  test("the last LISTEN or SUBSCRIBE decides the ids and the draft; CONNECT and DISCONNECT are the same in both", async () => {
    const a = connect();
    const id = await register(a);
    const l = connect();
    await say(l, `LISTEN ${id}`);
    expect(await say(l, `SUBSCRIBE ${id}`)).toEqual([`CONNECT ${id}`]);
    await say(a, "SCORE 1 100 1");
    expect(l.take()).toEqual([`SCORE 100 1 ${id}`]);
    expect(await say(l, `LISTEN ${id}`)).toEqual([`CONNECT ${id}`, `SCORE 100 ${id} 1`]);
    await say(a, "SCORE 2 200 2");
    expect(l.take()).toEqual([`SCORE 200 ${id} 2`]);
    const sub = connect();
    await say(sub, `SUBSCRIBE ${id}`);
    sub.take();
    relay.close(a.state);
    expect([l.take(), sub.take()]).toEqual([[`DISCONNECT ${id}`], [`DISCONNECT ${id}`]]);
    const again = connect();
    await register(again);
    expect(l.take().length + sub.take().length).toBe(0); // a new id: not theirs
  });

  test("a score is fanned out only in the drafts someone listens in, and not at all without listeners", async () => {
    const a = connect();
    const id = await register(a);
    topics.published.length = 0;
    await say(a, "SCORE 1 100 1");
    expect(topics.published).toEqual([]);
    const sub = connect();
    await say(sub, `SUBSCRIBE ${id}`);
    await say(a, "SCORE 2 200 2");
    expect(topics.published).toEqual([`clicker2:${id} SCORE 200 2 ${id}`]);
    relay.close(sub.state);
    topics.published.length = 0;
    await say(a, "SCORE 3 300 3");
    expect(topics.published).toEqual([]);
  });
});
