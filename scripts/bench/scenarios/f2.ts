// F2: 1000 rooms × 10 members, skewed (Zipf) publishing. Target: CPU per delivery ≤ 1.3× B0,
// i.e. deliveries per server CPU-second ≥ B0 / 1.3.
import { join } from "node:path";
import type { ShapeResult } from "../lib/phase.ts";
import { log, ms, ratio, rotate, table, type Opts, type Section } from "../lib/report.ts";
import { startServer } from "../lib/servers.ts";
import { runJson } from "../../lib/spawn.ts";
import { fmt, median, pct } from "../lib/stats.ts";
import { getPath } from "../paths.ts";
import type { RoomsArgs } from "../loadgen-rooms.ts";
import { baselines, candidates, describeRun, type Variant } from "./f1.ts";

const loadgen = join(import.meta.dir, "..", "loadgen-rooms.ts");

export async function f2(o: Opts): Promise<Section> {
  const rooms = o.quick ? 200 : 1000;
  const members = 10;
  const wanted = (c: Variant) => !o.paths || o.paths.includes(c.path);
  const variants: Variant[] = [baselines[0]!, ...candidates.filter((c) => wanted(c) && !getPath(c.path).noRooms)];
  const all = new Map<string, ShapeResult[]>();
  for (let rep = 0; rep < o.reps; rep++)
    for (const v of rotate(variants, rep)) {
      const srv = await startServer(v.server, v.flags);
      try {
        const args: RoomsArgs = { port: srv.port, pid: srv.pid, path: v.path, rooms, members, warmMs: o.quick ? 200 : 250, closedMs: o.quick ? 500 : 650, openMs: o.quick ? 500 : 650, openRate: 20_000, inflight: 16_000 };
        const r = await runJson<{ results: ShapeResult[] }>([process.execPath, loadgen, JSON.stringify(args)], 300_000);
        for (const x of r.results) {
          log(describeRun(`F2 rep ${rep + 1}/${o.reps} ${v.label}`, x));
          all.set(`${v.label}|${x.shape}`, [...(all.get(`${v.label}|${x.shape}`) ?? []), x]);
        }
      } finally {
        await srv.stop();
      }
    }
  const rows: string[][] = [];
  for (const shape of ["closed", "open"])
    for (const v of variants) {
      const rs = all.get(`${v.label}|${shape}`) ?? [];
      const m = (f: (r: ShapeResult) => number) => median(rs.map(f));
      // CPU per delivery relative to B0 = B0's deliveries per CPU-s / ours.
      const rel = median((all.get(`B0|${shape}`) ?? []).map((r) => r.perCpu)) / m((r) => r.perCpu);
      const verdict = v.server !== "switchboard" ? "" : shape === "open" ? "(rate fixed)" : rel <= 1.3 ? "✓ ≤ 1.3×" : `✗ ${ratio(rel / 1.3)} over`;
      rows.push([`${v.label}${v.server === "switchboard" ? ` (${getPath(v.path).what})` : ""}`, shape, fmt(m((r) => r.rate)), fmt(m((r) => r.perCpu)), `${fmt(1e6 / m((r) => r.perCpu))} µs`, ratio(rel), pct(m((r) => r.serverCpu / r.wall)), pct(m((r) => r.clientCpu / r.wall)), `${ms(m((r) => r.lat.p50))} / ${ms(m((r) => r.lat.p99))}`, pct(m((r) => r.complete)), verdict]);
    }
  return {
    title: `F2 ${rooms} rooms × ${members}, skewed publishing`,
    lines: [
      `One publisher per room; each broadcast goes to a room drawn from a Zipf distribution (s = 1). Probes in 4 rooms (the 2 hottest, one middle, the coldest). Medians of ${o.reps} alternated repetitions.`,
      "",
      ...table(["path", "shape", "deliveries/s", "deliveries / server CPU-s", "server CPU per delivery", "CPU per delivery vs B0", "server CPU", "client CPU", "p50 / p99 ms", "delivered", "target ≤ 1.3× B0"], rows),
    ],
  };
}
