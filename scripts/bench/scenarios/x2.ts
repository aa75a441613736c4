// X2, a buzz across nodes (docs/bench.md#several-nodes, docs/cluster.md#buzzer): the latency from
// a receiver press to a /mediator client's `buzz` event on one node, and what a second node adds:
// the receiver (the emulator, on a pty in this process) plugged into node A, clients on A and on
// B, both nodes on one fresh redis-server (Debian's, installed when missing). Everything on
// 127.0.0.1; every loop is bounded in count and time.
import { ReceiverEmulator } from "../../buzzer-emulator.ts";
import { startRedis, type TestRedis } from "../../../test/helpers/cluster.ts";
import { log, table, type Opts, type Section } from "../lib/report.ts";
import { startServer, type Running } from "../lib/servers.ts";
import { fmt, latency, type Latency } from "../lib/stats.ts";

/** A /mediator client that notes when each buzz of the pool arrives (performance.now()). */
class Watcher {
  readonly arrivals: number[] = [];
  private constructor(private readonly ws: WebSocket) {}
  static async open(port: number, pool: string): Promise<Watcher> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/mediator`);
    const w = new Watcher(ws);
    ws.onmessage = (e) => {
      const at = performance.now();
      const text = String(e.data);
      if (text.includes('"buzz"') && JSON.parse(text).pool === pool) w.arrivals.push(at);
    };
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("bench: /mediator client could not connect"));
    });
    return w;
  }
  close(): void {
    this.ws.close();
  }
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > end) throw new Error(`bench: timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

/** presses presses of buzzer 1, 15-25 ms apart; the latency of each to every watcher. */
async function series(emu: ReceiverEmulator, watchers: Watcher[], presses: number): Promise<Latency[]> {
  // Warm up (JIT, the Redis subscriptions): a few presses that do not count.
  for (let i = 0; i < 5; i++) {
    emu.press(1);
    await Bun.sleep(20);
  }
  await until("the warm-up buzzes", () => watchers.every((w) => w.arrivals.length >= 5));
  for (const w of watchers) w.arrivals.length = 0;
  const sent: number[] = [];
  for (let i = 0; i < presses; i++) {
    sent.push(performance.now());
    emu.press(1);
    await until("a buzz", () => watchers.every((w) => w.arrivals.length > i), 3000);
    await Bun.sleep(15 + (i % 11));
  }
  return watchers.map((w) => latency(w.arrivals.map((at, i) => at - sent[i]!)));
}

export interface X2Result {
  one: Latency;
  onA: Latency;
  onB: Latency;
}

export async function runX2(presses: number): Promise<X2Result> {
  const emu = await ReceiverEmulator.start({ buzzers: [1], bootDelayMs: 20 });
  let redis: TestRedis | null = null;
  const running: Running[] = [];
  const watchers: Watcher[] = [];
  try {
    // One node on its own.
    const solo = await startServer("switchboard", ["--pool", emu.path]);
    running.push(solo);
    await emu.linked();
    const w1 = await Watcher.open(solo.port, emu.path);
    watchers.push(w1);
    const [one] = await series(emu, [w1], presses);
    log(`x2 one node: p50 ${fmt(one!.p50)} p99 ${fmt(one!.p99)} ms`);
    w1.close();
    await solo.stop();
    running.length = 0;
    // Two nodes on Redis: the receiver on A.
    redis = await startRedis();
    const cluster = (id: string) => ["--redis", redis!.url, "--node-id", id, "--cluster-heartbeat-ms", "200", "--cluster-node-timeout-ms", "1500"];
    const a = await startServer("switchboard", [...cluster("x2-a"), "--pool", emu.path]);
    running.push(a);
    const b = await startServer("switchboard", cluster("x2-b"));
    running.push(b);
    await emu.linked();
    const wa = await Watcher.open(a.port, emu.path);
    const wb = await Watcher.open(b.port, emu.path);
    watchers.push(wa, wb);
    const [onA, onB] = await series(emu, [wa, wb], presses);
    log(`x2 two nodes: on A p50 ${fmt(onA!.p50)} p99 ${fmt(onA!.p99)} ms, on B p50 ${fmt(onB!.p50)} p99 ${fmt(onB!.p99)} ms`);
    return { one: one!, onA: onA!, onB: onB! };
  } finally {
    for (const w of watchers) w.close();
    for (const r of running) await r.stop().catch(() => {});
    await redis?.stop();
    emu.stop();
  }
}

export function x2Table(r: X2Result): string[] {
  const row = (what: string, l: Latency) => [what, String(l.n), `${fmt(l.p50)} / ${fmt(l.p99)} ms`, `${fmt(l.p50 - r.one.p50)} / ${fmt(l.p99 - r.one.p99)} ms`];
  return table(["client", "presses", "press → `buzz` p50 / p99", "added vs one node p50 / p99"], [
    row("one node, no Redis", r.one),
    row("two nodes, on the receiver's node", r.onA),
    row("two nodes, on the other node", r.onB),
  ]);
}

export async function x2(o: Opts): Promise<Section> {
  const r = await runX2(o.quick ? 30 : 300);
  return {
    title: "X2 a buzz across nodes",
    lines: ["From the emulator writing `04 id` into the pty to a /mediator client receiving `buzz` (see docs/cluster.md#buzzer).", "", ...x2Table(r)],
  };
}
