// The game and the phones pool wired into the mediator (docs/buzzer.md#the-game,
// docs/buzzer.md#phones-as-buzzers), on fakes: a fake clock, fake pools, fake connections.
import { describe, expect, test } from "bun:test";
import { MemoryNameStore, type NameStore } from "../../../src/protocols/buzzer/game.ts";
import { EVENTS_TOPIC, Mediator, type MediatorClient, type PoolSink } from "../../../src/protocols/buzzer/state.ts";
import { FakeClock, FakeConn, FakeHub } from "../../helpers/fakes.ts";

const P = "/dev/ttyACM0";
const K = "/dev/input/event3";
const ID = (n: number) => `phone-id-${String(n).padStart(8, "0")}`;

function setup(opts: { names?: NameStore } = {}) {
  const clock = new FakeClock(1_700_000_000_000, 1000);
  const topics = new FakeHub();
  const sinks = new Map<string, PoolSink>();
  let ids = 0;
  const m = new Mediator({
    clock,
    topics,
    connectTimeoutMs: 3000,
    discover: () => [],
    vet: () => null,
    openPool: (spec, sink) => {
      sinks.set(spec.id, sink);
      return { colors: spec.kind === "serial", setColor: () => true, close: () => {} };
    },
    names: opts.names ?? new MemoryNameStore(),
    settleMs: 150,
    falseStartMs: 250,
    newPhoneId: () => ID(++ids),
  });
  m.startConfigured([P, K]);
  const client = (operator = false) => {
    const c = new FakeConn<MediatorClient>(topics, operator);
    c.state = m.open(c);
    c.subscribe(EVENTS_TOPIC);
    return c;
  };
  const send = (c: FakeConn<MediatorClient>, msg: object) => m.message(c.state, JSON.stringify(msg));
  const close = (c: FakeConn<MediatorClient>) => {
    c.unsubscribe(EVENTS_TOPIC);
    m.close(c.state);
  };
  const sink = (id: string) => sinks.get(id)!;
  return { clock, m, client, send, close, sink };
}

/** Let promise callbacks (name store reads and writes) run. */
const settle = () => new Promise((r) => setTimeout(r, 0));

describe("the game on /mediator", () => {
  test("arm, reset and set_name need operator rights; list round and list names do not", async () => {
    const { client, send } = setup();
    const anon = client();
    for (const cmd of [{ command: "arm" }, { command: "reset" }, { command: "set_name", pool: P, buzzer: 1, name: "x" }]) send(anon, cmd);
    send(anon, { list: "round" });
    send(anon, { list: "names" });
    await settle();
    expect(anon.takeJson()).toEqual([
      { error: "forbidden", message: expect.stringContaining("operator rights"), cause: "arm" },
      { error: "forbidden", message: expect.stringContaining("operator rights"), cause: "reset" },
      { error: "forbidden", message: expect.stringContaining("operator rights"), cause: "set_name" },
      { response: "round", round: 0, armed: false, order: [], first: null },
      { response: "names", names: [] },
    ]);
  });

  test("a receiver's presses race in the round: press time = the raw buzz's ts; first after the settle window", () => {
    const { clock, client, send, sink } = setup();
    const op = client(true);
    const seed = client(); // a client of the original protocol: sees the raw events as before, plus the new ones
    sink(P).up([1, 2, 3]);
    op.take();
    seed.take();
    send(op, { command: "arm" });
    expect(op.takeJson()).toEqual([{ result: "arm", round: 1 }, { event: "armed", round: 1, ts: 1000 }]);
    clock.advance(40);
    sink(P).buzz(2);
    clock.advance(0.25);
    sink(P).buzz(3);
    sink(P).buzz(2); // a repeat: ignored by the game, still a raw buzz
    const evs = seed.takeJson();
    expect(evs).toEqual([
      { event: "armed", round: 1, ts: 1000 },
      { event: "buzz", pool: P, buzzer: 2, ts: 1040 },
      { event: "order", round: 1, order: [{ pool: P, buzzer: 2, name: null, ts: 1040, gap_ms: 0 }] },
      { event: "buzz", pool: P, buzzer: 3, ts: 1040.25 },
      {
        event: "order",
        round: 1,
        order: [
          { pool: P, buzzer: 2, name: null, ts: 1040, gap_ms: 0 },
          { pool: P, buzzer: 3, name: null, ts: 1040.25, gap_ms: 0.25 },
        ],
      },
      { event: "buzz", pool: P, buzzer: 2, ts: 1040.25 },
    ]);
    clock.advance(149);
    expect(seed.take()).toEqual([]);
    clock.advance(1);
    expect(seed.takeJson()).toEqual([{ event: "first", round: 1, pool: P, buzzer: 2, name: null, ts: 1040 }]);
    send(seed, { list: "round" });
    expect(seed.takeJson()[0]).toMatchObject({ response: "round", round: 1, armed: true, first: { pool: P, buzzer: 2, name: null, ts: 1040 } });
    send(op, { command: "reset" });
    expect(op.takeJson().slice(-2)).toEqual([{ result: "reset", round: 1 }, { event: "reset", round: 1, ts: 1190.25 }]);
  });

  test("a press while not armed is a false start: only the raw buzz, and that buzzer is locked out", () => {
    const { clock, client, send, sink } = setup();
    const op = client(true);
    sink(P).up([1, 2]);
    op.take();
    sink(P).buzz(1); // false start at 1000: locked until 1250
    expect(op.takeJson()).toEqual([{ event: "buzz", pool: P, buzzer: 1, ts: 1000 }]);
    send(op, { command: "arm" });
    op.take();
    clock.advance(100);
    sink(P).buzz(1); // locked out: raw only
    sink(P).buzz(2);
    expect(op.takeJson().filter((e) => e.event === "order")).toEqual([{ event: "order", round: 1, order: [{ pool: P, buzzer: 2, name: null, ts: 1100, gap_ms: 0 }] }]);
  });

  test("a keyboard press is placed by its kernel time, not by when it was read", () => {
    const { clock, client, send, sink } = setup();
    const op = client(true);
    sink(P).up([1]);
    sink(K).up([]);
    sink(K).connected(30);
    send(op, { command: "arm" });
    clock.advance(50);
    sink(P).buzz(1); // read at 1050
    clock.advance(2);
    sink(K).buzz(30, 1049); // read at 1052, pressed at 1049 by the kernel's stamp
    const orders = op.takeJson().filter((e) => e.event === "order");
    expect(orders.at(-1).order.map((e: any) => [e.pool, e.buzzer, e.ts, e.gap_ms])).toEqual([
      [K, 30, 1049, 0],
      [P, 1, 1050, 1],
    ]);
  });

  test("names: set_name is stored, every client hears `named`, the order carries it; stored names come with the first events", async () => {
    const names = new MemoryNameStore();
    await names.set(P, 1, "Quizzly Bears"); // from an earlier evening
    const { clock, client, send, sink } = setup({ names });
    const op = client(true);
    const board = client();
    sink(P).up([1, 2]); // names are read when buzzers connect
    await settle();
    send(op, { command: "arm" });
    clock.advance(10);
    sink(P).buzz(1);
    board.take();
    send(op, { command: "set_name", pool: P, buzzer: 2, name: "  Les   Mots Dits " });
    expect(board.takeJson()).toEqual([
      { event: "named", pool: P, buzzer: 2, name: "Les Mots Dits", ts: 1010 },
    ]);
    await settle();
    expect(op.takeJson().filter((r) => r.result)).toEqual([
      { result: "arm", round: 1 },
      { result: "set_name", pool: P, buzzer: 2, name: "Les Mots Dits" },
    ]);
    expect(await names.get(P, 2)).toBe("Les Mots Dits");
    sink(P).buzz(2);
    expect(board.takeJson().find((e) => e.event === "order").order.map((e: any) => e.name)).toEqual(["Quizzly Bears", "Les Mots Dits"]);
    send(board, { list: "names" });
    await settle();
    expect(board.takeJson()).toEqual([
      {
        response: "names",
        names: [
          { pool: P, buzzer: 1, name: "Quizzly Bears" },
          { pool: P, buzzer: 2, name: "Les Mots Dits" },
        ],
      },
    ]);
    // null (or nothing visible) clears the name
    send(op, { command: "set_name", pool: P, buzzer: 1, name: " \u200b " });
    await settle();
    expect(await names.get(P, 1)).toBeNull();
  });
  test("list names right after buzzers connect waits for the names already being read", async () => {
    // A store that answers only when the test says so (the database worker is a message away).
    const answers: Array<() => void> = [];
    const slow: NameStore = {
      get: (pool, buzzer) => new Promise((resolve) => answers.push(() => resolve(pool === P && buzzer === 2 ? "Sofa Kings" : null))),
      set: async () => {},
    };
    const { client, send, sink } = setup({ names: slow });
    const board = client();
    sink(P).up([1, 2]); // the names of 1 and 2 are being read now
    board.take();
    send(board, { list: "names" });
    await settle();
    expect(board.take()).toEqual([]); // not before the reads are done
    for (const a of answers.splice(0)) a();
    await settle();
    expect(board.takeJson()).toEqual([
      {
        response: "names",
        names: [
          { pool: P, buzzer: 1, name: null },
          { pool: P, buzzer: 2, name: "Sofa Kings" },
        ],
      },
    ]);
    expect(answers).toEqual([]); // one read per buzzer, not two
  });

  test("a database that cannot write: set_name gets storage_unavailable, the name stays in use, nobody is disconnected", async () => {
    const broken: NameStore = { get: async () => null, set: async () => Promise.reject(new Error("SQLITE_FULL: database or disk is full")) };
    const { client, send, sink } = setup({ names: broken });
    const op = client(true);
    sink(P).up([1]);
    send(op, { command: "set_name", pool: P, buzzer: 1, name: "Quizzly Bears" });
    await settle();
    expect(op.takeJson().filter((f) => !f.event || f.event === "named")).toEqual([
      { event: "named", pool: P, buzzer: 1, name: "Quizzly Bears", ts: 1000 },
      { error: "storage_unavailable", message: expect.stringContaining("could not be stored"), cause: "set_name" },
    ]);
    expect(op.closedWith).toBeNull();
    send(op, { command: "arm" });
    sink(P).buzz(1);
    expect(op.takeJson().find((f) => f.event === "order").order[0].name).toBe("Quizzly Bears");
    const ph = client();
    send(ph, { command: "phone_join", name: "Ann" });
    await settle();
    expect(ph.closedWith).toBeNull();
    expect(ph.takeJson()[0]).toMatchObject({ result: "phone_join", name: "Ann" });
  });
});

describe("phones on /mediator", () => {
  test("join: reply, connected, named; in list buzzers while connected, never in list pools; leaving: disconnected", async () => {
    const { client, send, close, sink } = setup();
    sink(P).up([1]);
    const seed = client();
    seed.take();
    send(seed, { list: "buzzers" });
    expect(seed.takeJson()).toEqual([{ response: "buzzers", pools: [{ pool: P, buzzers: [1] }] }]);
    const ann = client();
    send(ann, { command: "phone_join", name: "Ann" });
    expect(ann.takeJson()).toEqual([
      { result: "phone_join", pool: "phones", buzzer: 1, phone_id: ID(1), name: "Ann" },
      { event: "connected", pool: "phones", buzzer: 1, ts: 1000 },
      { event: "named", pool: "phones", buzzer: 1, name: "Ann", ts: 1000 },
    ]);
    expect(seed.takeJson()).toEqual([
      { event: "connected", pool: "phones", buzzer: 1, ts: 1000 },
      { event: "named", pool: "phones", buzzer: 1, name: "Ann", ts: 1000 },
    ]);
    send(seed, { list: "buzzers" });
    send(seed, { list: "pools" });
    expect(seed.takeJson()).toEqual([
      { response: "buzzers", pools: [{ pool: P, buzzers: [1] }, { pool: "phones", buzzers: [1] }] },
      { response: "pools", pools: [P, K] },
    ]);
    // connect answers like a connected pool; disconnect and set_color do not apply
    const op = client(true);
    send(op, { command: "connect", pool: "phones" });
    send(op, { command: "disconnect", pool: "phones" });
    send(op, { command: "set_color", pool: "phones", buzzer: 1, color: [1, 2, 3] });
    expect(op.takeJson()).toEqual([
      { result: "connect", pool: "phones", buzzers: [1] },
      { error: "invalid_data_type", message: expect.stringContaining("device pool"), cause: "pool" },
      { error: "invalid_data_type", message: expect.stringContaining("lights"), cause: "pool" },
    ]);
    close(ann);
    expect(seed.takeJson()).toEqual([{ event: "disconnected", pool: "phones", buzzer: 1, ts: 1000 }]);
    send(seed, { list: "buzzers" });
    expect(seed.takeJson()).toEqual([{ response: "buzzers", pools: [{ pool: P, buzzers: [1] }] }]);
  });

  test("rejoining with the phone id: same buzzer, no rename when the name is the same; a second tab takes over", async () => {
    const { client, send, close } = setup();
    const a = client();
    send(a, { command: "phone_join", name: "Ann" });
    const id = a.takeJson()[0].phone_id;
    close(a);
    const b = client();
    send(b, { command: "phone_join", name: "Ann", phone_id: id });
    expect(b.takeJson()).toEqual([
      { result: "phone_join", pool: "phones", buzzer: 1, phone_id: id, name: "Ann" },
      { event: "connected", pool: "phones", buzzer: 1, ts: 1000 },
    ]);
    const tab = client();
    send(tab, { command: "phone_join", name: "Ann", phone_id: id });
    expect(tab.takeJson()).toEqual([{ result: "phone_join", pool: "phones", buzzer: 1, phone_id: id, name: "Ann" }]);
    expect(b.take()).toEqual([]); // still connected: no event
    send(b, { command: "press", client_ts: 5 });
    expect(b.takeJson()).toEqual([{ error: "phone", message: "join first: send phone_join", cause: null }]);
    close(b); // the old tab closing does not take the buzzer away from the new one
    expect(tab.take()).toEqual([]);
  });

  test("a phone's press: raw buzz at its receive time, the game at the converted press time, the outcome in the reply", () => {
    const { clock, client, send } = setup();
    const op = client(true);
    const ph = client();
    send(ph, { command: "phone_join", name: "Ann" });
    // The phone's clock reads server time + 5000. One exchange with a 4 ms round trip, symmetric.
    send(ph, { command: "sync_time", client_ts: 5998 });
    expect(ph.takeJson().at(-1)).toEqual({ result: "sync_time", client_ts: 5998, server_recv_ts: 1000, server_send_ts: 1000 });
    clock.advance(4);
    send(ph, { command: "sync_time", client_ts: 6002, previous: { client_ts: 5998, server_recv_ts: 1000, server_send_ts: 1000, client_recv_ts: 6002 } });
    send(op, { command: "arm" });
    clock.advance(100); // 1104
    ph.take();
    send(ph, { command: "press", client_ts: 6090 }); // pressed at server 1090, arrived 1104
    expect(ph.takeJson()).toEqual([
      { event: "buzz", pool: "phones", buzzer: 1, ts: 1104 },
      { event: "order", round: 1, order: [{ pool: "phones", buzzer: 1, name: "Ann", ts: 1090, gap_ms: 0 }] },
      { result: "press", round: 1, pool: "phones", buzzer: 1, ts: 1090, outcome: "joined" },
    ]);
    send(ph, { command: "press", client_ts: 6100 });
    expect(ph.takeJson().at(-1)).toMatchObject({ result: "press", outcome: "repeat" });
    send(op, { command: "reset" });
    send(ph, { command: "press", client_ts: 6105 });
    expect(ph.takeJson().at(-1)).toMatchObject({ result: "press", outcome: "false_start" });
    send(op, { command: "arm" });
    send(ph, { command: "press", client_ts: 6110 });
    expect(ph.takeJson().at(-1)).toMatchObject({ result: "press", round: 2, outcome: "locked_out" });
  });

  test("a press before joining is refused; all 255 phone buzzers connected: the next join is refused", () => {
    const { client, send } = setup();
    const c = client();
    send(c, { command: "press", client_ts: 1 });
    expect(c.takeJson()).toEqual([{ error: "phone", message: "join first: send phone_join", cause: null }]);
    for (let i = 0; i < 255; i++) send(client(), { command: "phone_join", name: `p${i}` });
    send(c, { command: "phone_join", name: "late" });
    expect(c.takeJson().filter((f) => f.error)).toEqual([{ error: "phone", message: "all 255 phone buzzers are taken", cause: null }]);
  });
});
