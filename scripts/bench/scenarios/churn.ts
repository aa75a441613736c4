// M2: churn. 200 connects + 200 disconnects per second over a steady pool, with a 1 msg/s
// broadcast in every room, for 60 s (--duration). Targets: RSS drift ≈ 0, p95 delay < 100 ms.
import { join } from "node:path";
import { slope, type ChurnArgs, type ChurnResult } from "../loadgen-churn.ts";
import { log, ms, table, type Opts, type Section } from "../lib/report.ts";
import { startServer } from "../lib/servers.ts";
import { runJson } from "../lib/spawn.ts";
import { pct } from "../lib/stats.ts";
import { getPath } from "../paths.ts";
import { candidates } from "./f1.ts";

const loadgen = join(import.meta.dir, "..", "loadgen-churn.ts");

export async function m2(o: Opts): Promise<Section> {
  const durationS = o.durationS ?? (o.quick ? 15 : 60);
  const warmS = Math.max(5, Math.round(durationS / 6));
  const paths = candidates.map((c) => c.path).filter((p) => (!o.paths || o.paths.includes(p)) && !getPath(p).noChurn);
  const flags = [...new Set(candidates.filter((c) => paths.includes(c.path)).flatMap((c) => c.flags ?? []))];
  const srv = await startServer("switchboard", flags);
  let r: ChurnResult;
  try {
    const args: ChurnArgs = { port: srv.port, pid: srv.pid, paths, pool: 1000, rate: 200, durationS, warmS };
    r = await runJson<ChurnResult>([process.execPath, loadgen, JSON.stringify(args)], (durationS + 60) * 1000);
  } finally {
    await srv.stop();
  }
  const at = (t: number) => (r.rss.find((p) => p.t === t)?.kib ?? NaN) / 1024;
  const start = at(warmS);
  const end = at(durationS);
  const mib = r.rss.map((p) => p.kib / 1024);
  // The garbage collector makes RSS a sawtooth; a leak raises its floor. Floors of 5 s blocks:
  const after = r.rss.filter((p) => p.t > warmS);
  const floors: { t: number; kib: number }[] = [];
  for (let i = 0; i + 5 <= after.length; i += 5) {
    const block = after.slice(i, i + 5);
    floors.push({ t: block[2]!.t, kib: Math.min(...block.map((p) => p.kib)) });
  }
  const floorSlope = slope(floors) / 1024;
  const driftOk = Math.abs(floorSlope) < 1;
  log(
    `M2 ${durationS} s over ${paths.join(", ")}: ${r.connects} connects, ${r.disconnects} disconnects, ${r.failed} failed; RSS ${start.toFixed(1)} → ${end.toFixed(1)} MiB ` +
      `(slope ${(r.slopeKiBPerMin / 1024).toFixed(2)} MiB/min, floor ${floorSlope.toFixed(2)} MiB/min), ${(r.rssAfterKiB / 1024).toFixed(1)} MiB after; delay p95 ${ms(r.delay.p95)} ms, handshake p95 ${ms(r.handshake.p95)} ms; server CPU ${pct(r.serverCpu)}, client CPU ${pct(r.clientCpu)}`,
  );
  return {
    title: "M2 churn",
    lines: [
      `${durationS} s, 200 connects + 200 disconnects per second (every other one without a close frame) over a pool of 1000 subscribers in one room per path ` +
        `(${paths.map((p) => "`" + p + "`").join(", ")}), each room broadcasting once a second to 2 probes and its subscribers. ` +
        `RSS sampled every second; drift is the least-squares slope after the first ${warmS} s.`,
      "",
      ...table(
        ["measure", "value", "target"],
        [
          ["connects / disconnects / refused or late", `${r.connects} / ${r.disconnects} / ${r.failed}`, ""],
          [`RSS at ${warmS} s → at ${durationS} s (min – max)`, `${start.toFixed(1)} → ${end.toFixed(1)} MiB (${Math.min(...mib).toFixed(1)} – ${Math.max(...mib).toFixed(1)})`, ""],
          ["RSS slope after warm-up (all samples)", `${(r.slopeKiBPerMin / 1024).toFixed(2)} MiB/min`, ""],
          ["RSS floor drift (slope of 5 s minima)", `${floorSlope.toFixed(2)} MiB/min`, driftOk ? "✓ ≈ 0 (< 1 MiB/min)" : "✗ grows"],
          ["RSS 2 s after everyone left", `${(r.rssAfterKiB / 1024).toFixed(1)} MiB`, ""],
          ["broadcast delay p50 / p95 / max", `${ms(r.delay.p50)} / ${ms(r.delay.p95)} / ${ms(r.delay.max)} ms`, r.delay.p95 < 100 ? "✓ p95 < 100 ms" : "✗ p95 ≥ 100 ms"],
          ["handshake (connect → 101) p50 / p95", `${ms(r.handshake.p50)} / ${ms(r.handshake.p95)} ms`, r.handshake.p95 < 100 ? "✓ p95 < 100 ms" : "✗ p95 ≥ 100 ms"],
          ["server / client CPU", `${pct(r.serverCpu)} / ${pct(r.clientCpu)}`, ""],
        ],
      ),
    ],
  };
}
