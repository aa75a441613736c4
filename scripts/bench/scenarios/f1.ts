// F1: fan-out to one room of N subscribers, every broadcast path against B0 (Bun.serve with
// native server.publish, the ceiling) and B1 (Node + ws send loop), alternated A B A B …
// Headline: deliveries per server CPU-second. Targets: ≥ 0.8× B0 and ≥ 10× B1.
import { join } from "node:path";
import type { FanoutArgs } from "../loadgen-fanout.ts";
import type { ShapeResult } from "../lib/phase.ts";
import { cpuNote, log, ms, ratio, rotate, table, type Opts, type Section } from "../lib/report.ts";
import { startServer, type ServerKind } from "../lib/servers.ts";
import { runJson } from "../../lib/spawn.ts";
import { fmt, median, pct } from "../lib/stats.ts";
import { getPath } from "../paths.ts";
import { watchFlags } from "../protocol-paths.ts";

export interface Variant {
  label: string;
  server: ServerKind;
  path: string;
  /** Server flags this path needs (e.g. a bigger room cap). */
  flags?: string[];
  /** One room per server process (the path's broadcast reaches every client of the endpoint). */
  oneRoomPerServer?: boolean;
}

export const baselines: Variant[] = [
  { label: "B0", server: "b0", path: "b0" },
  { label: "B1", server: "b1", path: "b1" },
];
export const candidates: Variant[] = [
  { label: "raw seam", server: "switchboard", path: "raw" },
  { label: "clicker", server: "switchboard", path: "clicker" },
  { label: "watch party", server: "switchboard", path: "syncparty", flags: watchFlags },
  { label: "metronome", server: "switchboard", path: "metronome" },
  { label: "buzzer", server: "switchboard", path: "buzzer", oneRoomPerServer: true },
];
/** F1 only: the metronome when no two phones share a frame (the other scenarios take the agreeing room). */
const f1Only: Variant[] = [{ label: "metronome, own clocks", server: "switchboard", path: "metronome-skew" }];

const loadgen = join(import.meta.dir, "..", "loadgen-fanout.ts");

export async function runFanout(v: Variant, ns: number[], o: Opts): Promise<ShapeResult[]> {
  const srv = await startServer(v.server, v.flags);
  try {
    const args: FanoutArgs = {
      port: srv.port,
      pid: srv.pid,
      path: v.path,
      ns,
      probes: 4,
      warmMs: o.quick ? 200 : 250,
      closedMs: o.quick ? 500 : 650,
      openMs: o.quick ? 500 : 650,
      openRate: 20_000,
      inflight: 16_000,
    };
    return await runJson<{ results: ShapeResult[] }>([process.execPath, loadgen, JSON.stringify(args)], 120_000).then((r) => r.results);
  } finally {
    await srv.stop();
  }
}

export function describeRun(tag: string, r: ShapeResult): string {
  return (
    `${tag} N=${r.n} ${r.shape}: ${fmt(r.rate)} deliveries/s, ${fmt(r.perCpu)} per server CPU-s, ` +
    `${cpuNote(r.serverCpu, r.clientCpu, r.wall)}, latency p50 ${ms(r.lat.p50)} ms p99 ${ms(r.lat.p99)} ms, ` +
    `complete ${pct(r.complete)}${r.stalled ? " STALLED" : ""}`
  );
}

export async function f1(o: Opts): Promise<Section> {
  const ns = o.ns ?? [100, 1000];
  const wanted = o.paths;
  const variants = [...baselines, ...[...candidates, ...f1Only].filter((c) => !wanted || wanted.includes(c.path))];
  const all = new Map<string, ShapeResult[]>();
  for (let rep = 0; rep < o.reps; rep++) {
    for (const v of rotate(variants, rep)) {
      const max = getPath(v.path).maxN ?? Infinity;
      const mine = ns.filter((n) => n <= max);
      const groups = v.oneRoomPerServer ? mine.map((n) => [n]) : [mine];
      for (const g of groups) {
        if (g.length === 0) continue;
        for (const r of await runFanout(v, g, o)) {
          log(describeRun(`F1 rep ${rep + 1}/${o.reps} ${v.label}`, r));
          const k = `${v.label}|${r.n}|${r.shape}`;
          all.set(k, [...(all.get(k) ?? []), r]);
        }
      }
    }
  }
  const med = (label: string, n: number, shape: string, f: (r: ShapeResult) => number) => median((all.get(`${label}|${n}|${shape}`) ?? []).map(f));
  const rows: string[][] = [];
  for (const n of ns)
    for (const shape of ["closed", "open"])
      for (const v of variants) {
        if (!all.has(`${v.label}|${n}|${shape}`)) continue;
        const m = (f: (r: ShapeResult) => number) => med(v.label, n, shape, f);
        const per = m((r) => r.perCpu);
        const b0 = per / med("B0", n, shape, (r) => r.perCpu);
        const b1 = per / med("B1", n, shape, (r) => r.perCpu);
        const verdict = v.server !== "switchboard" ? "" : shape === "open" ? "(rate fixed: see closed)" : (b0 >= 0.8 && b1 >= 10 ? "✓" : `✗ (${b0 < 0.8 ? "B0" : ""}${b0 < 0.8 && b1 < 10 ? ", " : ""}${b1 < 10 ? "B1" : ""})`);
        rows.push([
          v.label + (v.server === "switchboard" ? ` (${getPath(v.path).what})` : ""),
          String(n),
          shape,
          fmt(m((r) => r.rate)),
          fmt(per),
          ratio(b0),
          ratio(b1),
          pct(m((r) => r.serverCpu / r.wall)),
          pct(m((r) => r.clientCpu / r.wall)),
          `${ms(m((r) => r.lat.p50))} / ${ms(m((r) => r.lat.p99))}`,
          pct(m((r) => r.complete)),
          verdict,
        ]);
      }
  return {
    title: "F1 fan-out, one room",
    lines: [
      `Medians of ${o.reps} alternated repetitions. Closed loop: at most 16k deliveries outstanding; open loop: 20k deliveries/s asked. ` +
        "Deliveries counted by the subscribers; latency from 4 real WebSocket probes (publish → receive, same process clock). " +
        "The targets apply to the saturated (closed-loop) rows; at a fixed modest rate every server is mostly idle and per-CPU figures are dominated by wake-ups.",
      "",
      ...table(
        ["path", "N", "shape", "deliveries/s", "deliveries / server CPU-s", "× B0", "× B1", "server CPU", "client CPU", "p50 / p99 ms", "delivered", "target ≥0.8×B0, ≥10×B1"],
        rows,
      ),
    ],
  };
}
