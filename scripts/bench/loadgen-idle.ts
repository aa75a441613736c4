// Load generator for M1 (idle memory): opens idle WebSocket connections in steps, spread
// round-robin over the given paths, and reads the server's RSS after each step has settled.
// RSS per connection = (RSS_N − RSS_0) / N. Prints one JSON line.
import { rssKiB } from "./lib/proc.ts";
import { connectMany, connectRaw, type RawClient, type Tally } from "./lib/rawws.ts";

export interface IdleArgs {
  port: number;
  pid: number;
  paths: { path: string; setup?: string[] }[];
  steps: number[];
  settleMs: number;
  /**
   * Connections opened (round-robin, with their setup) and closed again before RSS_0 is read, so
   * what a server does once, on first use of an endpoint (load a module, compile a hot path), is
   * not divided among the measured connections. 0: a cold server.
   */
  warm?: number;
}
export interface IdleResult {
  rss0: number;
  steps: { n: number; rss: number; perConnKiB: number; openMs: number }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (import.meta.main) {
  const a = JSON.parse(process.argv[2] ?? "{}") as IdleArgs;
  const tally: Tally = { frames: 0, bytes: 0 };
  const openRoundRobin = (n: number, offset: number) =>
    connectMany(n, 64, (i) => {
      const p = a.paths[(offset + i) % a.paths.length]!;
      return connectRaw(a.port, p.path, { tally, setup: p.setup });
    });
  if (a.warm) {
    const warm = await openRoundRobin(a.warm, 0);
    await sleep(a.settleMs);
    for (const c of warm) c.abort();
  }
  await sleep(a.settleMs);
  const rss0 = rssKiB(a.pid);
  const open: RawClient[] = [];
  const steps: IdleResult["steps"] = [];
  for (const n of a.steps) {
    const t0 = performance.now();
    const more = await openRoundRobin(n - open.length, open.length);
    open.push(...more);
    const openMs = performance.now() - t0;
    await sleep(a.settleMs);
    const rss = rssKiB(a.pid);
    const alive = open.filter((c) => !c.ended).length;
    if (alive !== open.length) throw new Error(`${open.length - alive} of ${open.length} idle connections were closed by the server`);
    steps.push({ n, rss, perConnKiB: (rss - rss0) / n, openMs });
  }
  for (const c of open) c.abort();
  console.log(JSON.stringify({ rss0, steps } satisfies IdleResult));
  process.exit(0);
}
