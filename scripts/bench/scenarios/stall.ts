// S1: one stalled subscriber among N. The others' latency must not change, and the server's
// policy (close a socket once --backpressure-bytes are queued for it) must show, with its code.
import { join } from "node:path";
import type { StallArgs, StallResult } from "../loadgen-stall.ts";
import { log, ms, table, type Opts, type Section } from "../lib/report.ts";
import { startServer } from "../lib/servers.ts";
import { runJson } from "../../lib/spawn.ts";
import { pct } from "../lib/stats.ts";
import { getPath } from "../paths.ts";
import { candidates } from "./f1.ts";

const loadgen = join(import.meta.dir, "..", "loadgen-stall.ts");

export async function s1(o: Opts): Promise<Section> {
  const nDefault = o.ns?.[0] ?? 100;
  // Fast enough that the stall fills the kernel buffers and the 1 MiB queue in a few seconds,
  // slow enough to stay clear of saturation (the room's healthy latency is measured at this rate).
  const bytesPerSec = 800_000;
  const maxRate = 16_000;
  const variants = candidates.filter((c) => (!o.paths || o.paths.includes(c.path)) && getPath(c.path).protocol && (getPath(c.path).maxN ?? Infinity) >= nDefault);
  const rows: string[][] = [];
  for (const v of variants) {
    const srv = await startServer(v.server, v.flags);
    let r: StallResult;
    try {
      const args: StallArgs = { port: srv.port, pid: srv.pid, path: v.path, n: nDefault, bytesPerSec, maxRate, healthyMs: o.quick ? 1000 : 1500, maxStallMs: 30_000 };
      r = await runJson<StallResult>([process.execPath, loadgen, JSON.stringify(args)], 120_000);
    } catch (err) {
      log(`S1 ${v.label} FAILED: ${(err as Error).message}`);
      rows.push([`${v.label} (${getPath(v.path).what})`, "failed: " + (err as Error).message.split("\n")[0]!.slice(0, 120), "", "", "", "", "", "", "✗"]);
      continue;
    } finally {
      await srv.stop();
    }
    const code = r.staller.closeCode ?? (r.staller.ended ? "none (TCP closed)" : "still open");
    log(
      `S1 ${v.label} N=${nDefault} at ${r.rate}/s (${Math.round(r.frameBytes)} B frames): others p50/p99 ${ms(r.healthy.p50)}/${ms(r.healthy.p99)} ms healthy, ${ms(r.stalled.p50)}/${ms(r.stalled.p99)} ms while stalled; ` +
        `server CPU ${pct(r.healthyCpu)} → ${pct(r.stalledCpu)}; staller dropped after ${r.dropMs >= 0 ? Math.round(r.dropMs) + " ms" : "never"}, saw close code ${code} after ${r.staller.bytes} bytes; ` +
        `others got ${pct(r.othersComplete)}, ${r.othersClosed} closed`,
    );
    const ok = r.dropMs >= 0 && r.othersClosed === 0 && r.othersComplete >= 0.999 && r.stalled.p99 <= Math.max(2 * r.healthy.p99, r.healthy.p99 + 5);
    rows.push([
      `${v.label} (${getPath(v.path).what})`,
      `${ms(r.healthy.p50)} / ${ms(r.healthy.p99)}`,
      `${ms(r.stalled.p50)} / ${ms(r.stalled.p99)}`,
      r.dropMs >= 0 ? `${(r.dropMs / 1000).toFixed(1)} s` : "not within 30 s",
      String(code),
      `${r.rate}/s × ${Math.round(r.frameBytes)} B`,
      `${(r.staller.bytes / 1048576).toFixed(1)} MiB`,
      `${pct(r.othersComplete)}, ${r.othersClosed} closed`,
      ok ? "✓" : "✗",
    ]);
  }
  return {
    title: "S1 one stalled subscriber",
    lines: [
      `Room of N = ${nDefault} (4 probes); broadcasts at a rate that sends each subscriber ~${bytesPerSec / 1000} kB/s (at most ${maxRate / 1000}k/s, to stay clear of saturation); one subscriber is a separate process frozen with SIGSTOP. ` +
        "The server drops it once its queue passes --backpressure-bytes (default 1 MiB, on top of what the kernel buffers); after SIGCONT the staller reports what it got and the close code. " +
        "Pass: the staller is dropped, nobody else loses a frame or the connection, others' p99 stays within 2× (or +5 ms).",
      "",
      ...table(["path", "others p50 / p99 ms, healthy", "… while one is stalled", "staller dropped after", "close code seen", "broadcasts", "staller read", "others", "pass"], rows),
    ],
  };
}
