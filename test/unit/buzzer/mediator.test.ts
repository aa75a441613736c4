import { describe, expect, test } from "bun:test";
import { EVENTS_TOPIC, Mediator, type MediatorClient, type PoolSink, type PoolSpec } from "../../../src/protocols/buzzer/state.ts";
import { FakeClock, FakeConn, FakeHub, settle } from "../../helpers/fakes.ts";

interface FakePool {
  spec: PoolSpec;
  sink: PoolSink;
  closed: boolean;
  colors: Array<[number, number[]]>;
}

function setup(opts: { configured?: string[]; discovered?: string[]; keyboard?: boolean; slowClose?: boolean } = {}) {
  const clock = new FakeClock();
  const topics = new FakeHub();
  const opened: FakePool[] = [];
  /** With slowClose, a device is released only when the test calls these. */
  const releases: Array<() => void> = [];
  const m = new Mediator({
    clock,
    topics,
    connectTimeoutMs: 3000,
    discover: () => opts.discovered ?? [],
    vet: (spec) => (spec.id === "/dev/watchdog" ? "'/dev/watchdog' is not a serial port or input device" : null),
    openPool: (spec, sink) => {
      const p: FakePool = { spec, sink, closed: false, colors: [] };
      opened.push(p);
      return {
        colors: !opts.keyboard,
        setColor: (b, rgb) => (p.colors.push([b, rgb]), true),
        close: () => {
          p.closed = true;
          if (opts.slowClose) return new Promise<void>((resolve) => releases.push(resolve));
        },
      };
    },
  });
  m.startConfigured(opts.configured ?? []);
  /** A client of the endpoint; an operator unless said otherwise (most tests change pools). */
  const client = (operator = true) => {
    const c = new FakeConn<MediatorClient>(topics, operator);
    c.state = m.open(c);
    c.subscribe(EVENTS_TOPIC);
    return c;
  };
  const pool = (id: string) => opened.filter((p) => p.spec.id === id).at(-1)!;
  /** A client that has seen pool `id` come up with `buzzers` (its inbox then cleared). */
  const afterUp = (id: string, buzzers: number[]) => {
    const c = client();
    pool(id).sink.up(buzzers);
    c.takeJson();
    return c;
  };
  return { clock, m, opened, client, pool, afterUp, releases };
}

describe("mediator", () => {
  test("disconnect and set_color need operator rights: forbidden, nothing changes, nobody hears", () => {
    const { m, client, pool, opened } = setup({ configured: ["/dev/ttyACM0"] });
    const watcher = client();
    pool("/dev/ttyACM0").sink.up([1]);
    watcher.take();
    const anon = client(false);
    m.message(anon.state, '{"command":"disconnect","pool":"/dev/ttyACM0"}');
    m.message(anon.state, '{"command":"set_color","pool":"/dev/ttyACM0","buzzer":1,"color":[1,2,3]}');
    expect(anon.takeJson().filter((r) => !("event" in r))).toEqual([
      { error: "forbidden", message: expect.stringContaining("operator rights"), cause: "disconnect" },
      { error: "forbidden", message: expect.stringContaining("operator rights"), cause: "set_color" },
    ]);
    expect(opened.map((p) => p.closed)).toEqual([false]);
    expect(pool("/dev/ttyACM0").colors).toEqual([]);
    expect(watcher.take()).toEqual([]);
    // Listing and connecting stay open to everyone (the original clients send them).
    m.message(anon.state, '{"list":"buzzers"}');
    expect(anon.takeJson()).toEqual([{ response: "buzzers", pools: [{ pool: "/dev/ttyACM0", buzzers: [1] }] }]);
  });

  test("connect right after disconnect opens the device only once the old one is released", async () => {
    const { m, client, opened, pool, releases } = setup({ slowClose: true });
    const c = client();
    m.message(c.state, '{"command":"connect","pool":"/dev/ttyACM0"}');
    pool("/dev/ttyACM0").sink.up([1]);
    m.message(c.state, '{"command":"disconnect","pool":"/dev/ttyACM0"}');
    m.message(c.state, '{"command":"connect","pool":"/dev/ttyACM0"}');
    expect(opened.length).toBe(1); // the port is still held by the closing device
    c.takeJson();
    releases.shift()!();
    await settle();
    expect(opened.length).toBe(2);
    pool("/dev/ttyACM0").sink.up([1]);
    expect(c.takeJson()[0]).toEqual({ result: "connect", pool: "/dev/ttyACM0", buzzers: [1] });
    // Disconnected again before the old device let go: nothing is opened at all.
    m.message(c.state, '{"command":"disconnect","pool":"/dev/ttyACM0"}');
    m.message(c.state, '{"command":"connect","pool":"/dev/ttyACM0"}');
    m.message(c.state, '{"command":"disconnect","pool":"/dev/ttyACM0"}');
    releases.shift()!();
    await settle();
    expect(opened.length).toBe(2);
    await m.stop();
  });

  test("configured pools open at start; events reach every client with a monotonic ts", () => {
    const { m, client, pool, clock } = setup({ configured: ["/dev/ttyACM0#v2"] });
    expect(pool("/dev/ttyACM0").spec.numbering).toBe("v2");
    const a = client();
    const b = client();
    clock.advance(5);
    pool("/dev/ttyACM0").sink.up([2, 1]);
    const ts0 = clock.mono();
    expect(a.takeJson()).toEqual([
      { event: "connected", pool: "/dev/ttyACM0", buzzer: 1, ts: ts0 },
      { event: "connected", pool: "/dev/ttyACM0", buzzer: 2, ts: ts0 },
    ]);
    clock.advance(3);
    pool("/dev/ttyACM0").sink.buzz(2);
    expect(b.takeJson().at(-1)).toEqual({ event: "buzz", pool: "/dev/ttyACM0", buzzer: 2, ts: ts0 + 3 });
    m.message(a.state, '{"list":"buzzers"}');
    expect(a.takeJson()).toEqual([{ event: "buzz", pool: "/dev/ttyACM0", buzzer: 2, ts: ts0 + 3 }, { response: "buzzers", pools: [{ pool: "/dev/ttyACM0", buzzers: [1, 2] }] }]);
  });

  test("list pools: configured, discovered and connected, without duplicates", () => {
    const { m, client } = setup({ configured: ["/dev/ttyACM0"], discovered: ["/dev/ttyACM0", "/dev/ttyUSB1"] });
    const c = client();
    m.message(c.state, '{"command":"connect","pool":"/tmp/x"}');
    m.message(c.state, '{"list":"pools"}');
    expect(c.takeJson()).toEqual([{ response: "pools", pools: ["/dev/ttyACM0", "/dev/ttyUSB1", "/tmp/x"] }]);
  });

  test("connect waits for the handshake; list buzzers shows connected pools only", () => {
    const { m, client, pool } = setup({ configured: ["/dev/a"] });
    const c = client();
    m.message(c.state, '{"command":"connect","pool":"/dev/b"}');
    expect(c.takeJson()).toEqual([]);
    pool("/dev/b").sink.up([5]);
    expect(c.takeJson()).toEqual([
      { result: "connect", pool: "/dev/b", buzzers: [5] },
      { event: "connected", pool: "/dev/b", buzzer: 5, ts: expect.any(Number) },
    ]);
    m.message(c.state, '{"list":"buzzers"}');
    expect(c.takeJson()).toEqual([{ response: "buzzers", pools: [{ pool: "/dev/b", buzzers: [5] }] }]);
    // connecting a connected pool answers at once
    m.message(c.state, '{"command":"connect","pool":"/dev/b"}');
    expect(c.takeJson()).toEqual([{ result: "connect", pool: "/dev/b", buzzers: [5] }]);
  });

  test("connect to a device that cannot be opened: connect error, pool forgotten", () => {
    const { m, client, pool, opened } = setup();
    const c = client();
    m.message(c.state, '{"command":"connect","pool":"/dev/ttyACM7"}');
    pool("/dev/ttyACM7").sink.failed("Couldn't open serial port '/dev/ttyACM7'");
    expect(c.takeJson()).toEqual([{ error: "connect", message: "Couldn't open serial port '/dev/ttyACM7'", cause: null }]);
    expect(opened[0]!.closed).toBe(true);
    m.message(c.state, '{"list":"pools"}');
    expect(c.takeJson()).toEqual([{ response: "pools", pools: [] }]);
  });

  test("connect refuses what the vetting refuses, without opening it", () => {
    const { m, client, opened } = setup();
    const c = client();
    m.message(c.state, '{"command":"connect","pool":"/dev/watchdog"}');
    expect(c.takeJson()).toEqual([{ error: "connect", message: "'/dev/watchdog' is not a serial port or input device", cause: null }]);
    expect(opened).toEqual([]);
  });

  test("pool specs: suffixes select the firmware numbering or a keyboard", async () => {
    const { parsePoolSpec } = await import("../../../src/protocols/buzzer/state.ts");
    expect(parsePoolSpec("/dev/ttyACM0")).toEqual({ id: "/dev/ttyACM0", kind: "serial", numbering: "v1" });
    expect(parsePoolSpec("/dev/ttyACM0#v2")).toEqual({ id: "/dev/ttyACM0", kind: "serial", numbering: "v2" });
    expect(parsePoolSpec("/dev/input/event3")).toEqual({ id: "/dev/input/event3", kind: "keyboard", numbering: "v1" });
    expect(parsePoolSpec("/dev/buzzers#keyboard")).toEqual({ id: "/dev/buzzers", kind: "keyboard", numbering: "v1" });
    expect(parsePoolSpec("/dev/x#v3")).toEqual({ id: "/dev/x#v3", kind: "serial", numbering: "v1" });
  });

  test("connect to a device that never answers: connect error after the timeout", () => {
    const { m, client, clock, opened } = setup();
    const c = client();
    m.message(c.state, '{"command":"connect","pool":"/dev/quiet"}');
    clock.advance(2999);
    expect(c.takeJson()).toEqual([]);
    clock.advance(1);
    expect(c.takeJson()).toEqual([{ error: "connect", message: "No answer from the buzzer receiver on '/dev/quiet'", cause: null }]);
    expect(opened[0]!.closed).toBe(true);
  });

  test("a pool that goes away is kept and re-announced when it comes back", () => {
    const { m, client, pool, opened } = setup({ configured: ["/dev/a"] });
    const c = client();
    const p = pool("/dev/a");
    p.sink.up([1, 2]);
    p.sink.disconnected(2);
    p.sink.down("unplugged");
    p.sink.down("unplugged"); // reported once
    p.sink.failed("Couldn't open serial port '/dev/a'"); // retries failing: still kept
    m.message(c.state, '{"list":"buzzers"}');
    p.sink.up([1, 3]);
    expect(c.takeJson().map(({ ts, ...e }) => e)).toEqual([
      { event: "connected", pool: "/dev/a", buzzer: 1 },
      { event: "connected", pool: "/dev/a", buzzer: 2 },
      { event: "disconnected", pool: "/dev/a", buzzer: 2 },
      { event: "disconnected", pool: "/dev/a", buzzer: null },
      { response: "buzzers", pools: [] },
      { event: "connected", pool: "/dev/a", buzzer: 1 },
      { event: "connected", pool: "/dev/a", buzzer: 3 },
    ]);
    expect(opened.length).toBe(1);
  });

  test("disconnect closes the pool and tells everyone; unknown pools are an invalid value", () => {
    const { m, client, pool } = setup({ configured: ["/dev/a"] });
    const c = client();
    const other = client();
    pool("/dev/a").sink.up([1]);
    other.takeJson();
    c.takeJson();
    m.message(c.state, '{"command":"disconnect","pool":"/dev/a"}');
    expect(pool("/dev/a").closed).toBe(true);
    expect(c.takeJson().map(({ ts, ...e }) => e)).toEqual([{ result: "disconnect", pool: "/dev/a" }, { event: "disconnected", pool: "/dev/a", buzzer: null }]);
    expect(other.takeJson().length).toBe(1);
    pool("/dev/a").sink.buzz(1); // a late report from the closed driver is ignored
    expect(other.takeJson()).toEqual([]);
    m.message(c.state, '{"command":"disconnect","pool":"/dev/a"}');
    expect(c.takeJson()).toEqual([{ error: "invalid_data_type", message: "expected the id of a connected pool", cause: "pool" }]);
  });

  test("set_color reaches the driver; checks the pool and the buzzer", () => {
    const { m, pool, afterUp } = setup({ configured: ["/dev/a"] });
    const c = afterUp("/dev/a", [1]);
    m.message(c.state, '{"command":"set_color","pool":"/dev/a","buzzer":1,"color":[10,20,30]}');
    expect(c.takeJson()).toEqual([{ result: "set_color", pool: "/dev/a", buzzer: 1, color: [10, 20, 30] }]);
    expect(pool("/dev/a").colors).toEqual([[1, [10, 20, 30]]]);
    m.message(c.state, '{"command":"set_color","pool":"/dev/a","buzzer":9,"color":[1,2,3]}');
    m.message(c.state, '{"command":"set_color","pool":"/dev/zz","buzzer":1,"color":[1,2,3]}');
    expect(c.takeJson().map((e) => e.cause)).toEqual(["buzzer", "pool"]);
  });

  test("keyboard pools have no lights", () => {
    const { m, client, pool } = setup({ configured: ["/dev/input/event3"], keyboard: true });
    const c = client();
    pool("/dev/input/event3").sink.up([]);
    pool("/dev/input/event3").sink.connected(30);
    c.takeJson();
    m.message(c.state, '{"command":"set_color","pool":"/dev/input/event3","buzzer":30,"color":[1,2,3]}');
    expect(c.takeJson()[0]).toMatchObject({ error: "invalid_data_type", cause: "pool" });
  });

  test("bad frames get the original errors and change nothing", () => {
    const { m, afterUp } = setup({ configured: ["/dev/a"] });
    const c = afterUp("/dev/a", [1]);
    m.message(c.state, "{nope");
    m.message(c.state, '{"command":"fly"}');
    m.message(c.state, '{"command":"connect","pool":1}');
    expect(c.takeJson()).toEqual([
      { error: "invalid_json", message: null, cause: "{nope" },
      { error: "unknown_command", message: null, cause: '{"command":"fly"}' },
      { error: "invalid_data_type", message: "expected a non-empty string (a pool id)", cause: "pool" },
    ]);
    m.message(c.state, '{"list":"buzzers"}');
    expect(c.takeJson()).toEqual([{ response: "buzzers", pools: [{ pool: "/dev/a", buzzers: [1] }] }]);
  });

  test("a client that leaves gets no late connect reply; stop closes every device", async () => {
    const { m, client, pool, clock, opened } = setup({ configured: ["/dev/a"] });
    const c = client();
    m.message(c.state, '{"command":"connect","pool":"/dev/b"}');
    m.close(c.state);
    clock.advance(10_000);
    expect(c.takeJson()).toEqual([]);
    pool("/dev/a").sink.up([]);
    await m.stop();
    expect(opened.every((p) => p.closed)).toBe(true);
    expect(clock.pending).toBe(0);
  });
});
