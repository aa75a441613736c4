// M2: churn. 200 connects + 200 disconnects per second over a steady pool, with a 1 msg/s
// broadcast in every room, for 60 s (--duration). Targets: RSS drift ≈ 0, p95 delay < 100 ms.
// B0 runs the same churn at the same time (the load is light: a few % of a core each), because
// Bun's own RSS climbs under churn too, and drift only means something next to it.
import { join } from "node:path";
import { slope, type ChurnArgs, type ChurnResult } from "../loadgen-churn.ts";
import { log, ms, table, type Opts, type Section } from "../lib/report.ts";
import { startServer, type ServerKind } from "../lib/servers.ts";
import { runJson } from "../../lib/spawn.ts";
import { pct } from "../lib/stats.ts";
import { getPath } from "../paths.ts";
import { candidates } from "./f1.ts";

const loadgen = join(import.meta.dir, "..", "loadgen-churn.ts");

async function churn(kind: ServerKind, flags: string[], paths: string[], durationS: number, warmS: number): Promise<ChurnResult> {
  const srv = await startServer(kind, flags);
  try {
    const args: ChurnArgs = { port: srv.port, pid: srv.pid, paths, pool: 1000, rate: 200, durationS, warmS };
    return await runJson<ChurnResult>([process.execPath, loadgen, JSON.stringify(args)], (durationS + 60) * 1000);
  } finally {
    await srv.stop();
  }
}

/** The garbage collector makes RSS a sawtooth; a leak raises its floor: slope of 5 s minima. */
function floorSlope(r: ChurnResult, warmS: number): number {
  const after = r.rss.filter((p) => p.t > warmS);
  const floors: { t: number; kib: number }[] = [];
  for (let i = 0; i + 5 <= after.length; i += 5) {
    const block = after.slice(i, i + 5);
    floors.push({ t: block[2]!.t, kib: Math.min(...block.map((p) => p.kib)) });
  }
  return slope(floors) / 1024;
}

export async function m2(o: Opts): Promise<Section> {
  const durationS = o.durationS ?? (o.quick ? 15 : 60);
  const warmS = Math.max(5, Math.round(durationS / 6));
  const paths = candidates.map((c) => c.path).filter((p) => (!o.paths || o.paths.includes(p)) && !getPath(p).noChurn);
  const flags = [...new Set(candidates.filter((c) => paths.includes(c.path)).flatMap((c) => c.flags ?? []))];
  const [r, b] = await Promise.all([churn("switchboard", flags, paths, durationS, warmS), churn("b0", [], ["b0"], durationS, warmS)]);
  const cols = [r, b].map((x) => {
    const at = (t: number) => (x.rss.find((p) => p.t === t)?.kib ?? NaN) / 1024;
    const mib = x.rss.map((p) => p.kib / 1024);
    return { x, start: at(warmS), end: at(durationS), min: Math.min(...mib), max: Math.max(...mib), floor: floorSlope(x, warmS) };
  });
  const [s, z] = cols as [(typeof cols)[0], (typeof cols)[0]];
  for (const [label, c] of [["Switchboard", s] as const, ["B0", z] as const])
    log(
      `M2 ${label} ${durationS} s: ${c.x.connects} connects, ${c.x.disconnects} disconnects, ${c.x.failed} failed; RSS ${c.start.toFixed(1)} → ${c.end.toFixed(1)} MiB ` +
        `(floor ${c.floor.toFixed(2)} MiB/min), ${(c.x.rssAfterKiB / 1024).toFixed(1)} MiB after; delay p95 ${ms(c.x.delay.p95)} ms, handshake p95 ${ms(c.x.handshake.p95)} ms; ` +
        `server CPU ${pct(c.x.serverCpu)}, client CPU ${pct(c.x.clientCpu)}`,
    );
  const driftOk = s.floor < 1 || s.floor <= z.floor + 1;
  const row = (m: string, f: (c: (typeof cols)[0]) => string, target = "") => [m, f(s), f(z), target];
  return {
    title: "M2 churn",
    lines: [
      `${durationS} s, 200 connects + 200 disconnects per second (every other one without a close frame) over a pool of 1000 subscribers in one room per path ` +
        `(${paths.map((p) => "`" + p + "`").join(", ")}), each room broadcasting once a second to 2 probes and its subscribers; B0 under the same churn at the same time. ` +
        `RSS sampled every second; drift = slope of the 5 s RSS minima after the first ${warmS} s (the GC makes RSS a sawtooth; a leak raises its floor).`,
      "",
      ...table(
        ["measure", "Switchboard", "B0 (Bun.serve)", "target"],
        [
          row("connects / disconnects / refused or late", (c) => `${c.x.connects} / ${c.x.disconnects} / ${c.x.failed}`),
          row(`RSS at ${warmS} s → at ${durationS} s (min – max)`, (c) => `${c.start.toFixed(1)} → ${c.end.toFixed(1)} MiB (${c.min.toFixed(1)} – ${c.max.toFixed(1)})`),
          row("RSS floor drift", (c) => `${c.floor.toFixed(2)} MiB/min`, driftOk ? "✓ ≈ 0 or no more than B0's (+1 MiB/min)" : "✗ grows faster than B0"),
          row("RSS 2 s after everyone left", (c) => `${(c.x.rssAfterKiB / 1024).toFixed(1)} MiB`),
          row("broadcast delay p50 / p95 / max", (c) => `${ms(c.x.delay.p50)} / ${ms(c.x.delay.p95)} / ${ms(c.x.delay.max)} ms`, s.x.delay.p95 < 100 ? "✓ p95 < 100 ms" : "✗ p95 ≥ 100 ms"),
          row("handshake (connect → 101) p50 / p95", (c) => `${ms(c.x.handshake.p50)} / ${ms(c.x.handshake.p95)} ms`),
          row("server / client CPU", (c) => `${pct(c.x.serverCpu)} / ${pct(c.x.clientCpu)}`),
        ],
      ),
    ],
  };
}
