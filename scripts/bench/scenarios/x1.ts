// X1: fan-out across nodes (docs/bench.md#x1-across-nodes). The metronome's update_temp →
// play_sound to one group of N members, three ways, alternated: one node on its own (no Redis);
// two nodes and Redis with the owner and the members on the same node; and the owner on node A,
// its members on node B (the change goes A → Redis → B, which plays it to its members in their
// own clocks). Server CPU is the sum of every server process of the run (both nodes and
// redis-server), so "deliveries per server CPU-second" prices what the cluster adds.
import { join } from "node:path";
import type { FanoutArgs } from "../loadgen-fanout.ts";
import type { ShapeResult } from "../lib/phase.ts";
import { startRedis } from "../lib/redis.ts";
import { cpuNote, log, ms, ratio, rotate, table, type Opts, type Section } from "../lib/report.ts";
import { startServer, type Running } from "../lib/servers.ts";
import { fmt, median, pct } from "../lib/stats.ts";
import { runJson } from "../../lib/spawn.ts";

type Layout = "one node" | "two nodes, same node" | "two nodes, across";
const layouts: Layout[] = ["one node", "two nodes, same node", "two nodes, across"];
/** The group's phones agree with the server's clock (one frame for all), or each has its own (one frame per phone). */
const paths = [
  { path: "metronome", what: "agreeing clocks" },
  { path: "metronome-skew", what: "own clocks", maxN: 100 },
];
const loadgen = join(import.meta.dir, "..", "loadgen-fanout.ts");

async function runLayout(layout: Layout, path: string, ns: number[], o: Opts): Promise<ShapeResult[]> {
  const procs: Array<{ pid: number; stop(): Promise<unknown> }> = [];
  try {
    let pub: Running;
    let sub: Running;
    if (layout === "one node") {
      pub = sub = await startServer("switchboard");
      procs.push(pub);
    } else {
      const redis = await startRedis();
      procs.push(redis);
      const node = (id: string) => startServer("switchboard", ["--redis", redis.url, "--node-id", id]);
      pub = await node("bench-a");
      sub = await node("bench-b");
      procs.push(pub, sub);
      if (layout === "two nodes, same node") sub = pub;
    }
    const args: FanoutArgs = {
      port: sub.port,
      pubPort: pub.port,
      pid: procs.map((p) => p.pid),
      path,
      ns,
      probes: 4,
      // Longer windows than F1's: three server processes share the two cores with the load generator.
      warmMs: o.quick ? 200 : 500,
      closedMs: o.quick ? 500 : 1500,
      openMs: o.quick ? 500 : 1500,
      openRate: 20_000,
      inflight: 16_000,
    };
    return await runJson<{ results: ShapeResult[] }>([process.execPath, loadgen, JSON.stringify(args)], 120_000).then((r) => r.results);
  } finally {
    for (const p of procs.reverse()) await p.stop();
  }
}

export async function x1(o: Opts): Promise<Section> {
  const ns = o.ns ?? [100, 1000];
  const wanted = o.paths;
  const all = new Map<string, ShapeResult[]>();
  const chosen = paths.filter((p) => !wanted || wanted.includes(p.path));
  for (let rep = 0; rep < o.reps; rep++)
    for (const p of chosen)
      for (const layout of rotate(layouts, rep)) {
        const mine = ns.filter((n) => n <= (p.maxN ?? Infinity));
        if (!mine.length) continue;
        for (const r of await runLayout(layout, p.path, mine, o)) {
          log(
            `X1 rep ${rep + 1}/${o.reps} ${p.what}, ${layout} N=${r.n} ${r.shape}: ${fmt(r.rate)} deliveries/s, ${fmt(r.perCpu)} per server CPU-s, ` +
              `${cpuNote(r.serverCpu, r.clientCpu, r.wall)}, latency p50 ${ms(r.lat.p50)} ms p99 ${ms(r.lat.p99)} ms, complete ${pct(r.complete)}${r.stalled ? " STALLED" : ""}`,
          );
          const k = `${p.path}|${layout}|${r.n}|${r.shape}`;
          all.set(k, [...(all.get(k) ?? []), r]);
        }
      }
  const rows: string[][] = [];
  for (const p of chosen)
    for (const n of ns)
      for (const shape of ["closed", "open"])
        for (const layout of layouts) {
          const runs = all.get(`${p.path}|${layout}|${n}|${shape}`);
          if (!runs) continue;
          const m = (f: (r: ShapeResult) => number) => median(runs.map(f));
          const one = (f: (r: ShapeResult) => number) => median((all.get(`${p.path}|one node|${n}|${shape}`) ?? []).map(f));
          const per = m((r) => r.perCpu);
          const p50 = m((r) => r.lat.p50);
          const p99 = m((r) => r.lat.p99);
          const added = layout === "one node" ? "" : `${signed(p50 - one((r) => r.lat.p50))} / ${signed(p99 - one((r) => r.lat.p99))}`;
          rows.push([
            p.what,
            String(n),
            shape,
            layout,
            fmt(m((r) => r.rate)),
            fmt(per),
            ratio(per / one((r) => r.perCpu)),
            pct(m((r) => r.serverCpu / r.wall)),
            pct(m((r) => r.clientCpu / r.wall)),
            `${ms(p50)} / ${ms(p99)}`,
            added,
            pct(m((r) => r.complete)),
          ]);
        }
  return {
    title: "X1 across nodes",
    lines: [
      `Medians of ${o.reps} alternated repetitions, ${o.quick ? "0.5" : "1.5"} s windows. One metronome group of N members; the owner's update_temp → play_sound to every member. ` +
        "\"two nodes\": two Switchboard nodes and redis-server on this machine; server CPU is the sum of all three processes (of the one process for one node). " +
        "Closed loop: at most 16k deliveries outstanding; open loop: 20k deliveries/s asked. Latency: owner's send → member's receipt (4 probes); \"added\" is the difference to one node.",
      "",
      ...table(["phones", "N", "shape", "layout", "deliveries/s", "deliveries / server CPU-s", "× one node", "server CPU", "client CPU", "p50 / p99 ms", "added p50 / p99 ms", "delivered"], rows),
    ],
  };
}

const signed = (x: number) => (Number.isFinite(x) ? (x >= 0 ? "+" : "−") + ms(Math.abs(x)) : "–");
