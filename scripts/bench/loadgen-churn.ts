// Load generator for M2 (churn): a steady pool of subscribers spread over one room per path, of
// which `rate` per second are replaced (half closed cleanly, half dropped without a close frame),
// while each room's publisher broadcasts once a second. Samples the server's RSS every second.
// Prints one JSON line.
import { cpuWindow, rssKiB } from "./lib/proc.ts";
import type { RawClient } from "./lib/rawws.ts";
import { RoomClients, sleep } from "./lib/room.ts";
import { latency, type Latency } from "./lib/stats.ts";

export interface ChurnArgs {
  port: number;
  pid: number;
  paths: string[];
  pool: number;
  /** Connects (and as many disconnects) per second. */
  rate: number;
  durationS: number;
  warmS: number;
}
export interface ChurnResult {
  rss: { t: number; kib: number }[];
  rssAfterKiB: number;
  /** Least-squares slope of RSS after the warm-up, KiB per minute. */
  slopeKiBPerMin: number;
  delay: Latency;
  handshake: Latency;
  connects: number;
  disconnects: number;
  failed: number;
  serverCpu: number;
  clientCpu: number;
}

export function slope(pts: { t: number; kib: number }[]): number {
  const n = pts.length;
  if (n < 2) return NaN;
  const mt = pts.reduce((s, p) => s + p.t, 0) / n;
  const mk = pts.reduce((s, p) => s + p.kib, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of pts) (num += (p.t - mt) * (p.kib - mk)), (den += (p.t - mt) ** 2);
  return (num / den) * 60;
}

if (import.meta.main) {
  const a = JSON.parse(process.argv[2] ?? "{}") as ChurnArgs;
  const per = Math.max(1, Math.floor(a.pool / a.paths.length));
  const rooms: RoomClients[] = [];
  for (const p of a.paths) rooms.push(await RoomClients.open(a.port, p, `churn${process.pid}${p}`, per + 2, 2));
  const live: { c: RawClient; room: RoomClients }[] = rooms.flatMap((room) => room.cheap.map((c) => ({ c, room })));
  const handshakes: number[] = [];
  let connects = 0;
  let disconnects = 0;
  let failed = 0;
  let inflight = 0;
  let k = 0;
  const tickMs = 100;
  const perTick = (a.rate * tickMs) / 1000;
  let owed = 0;
  const churn = setInterval(() => {
    owed += perTick;
    for (; owed >= 1; owed--) {
      const old = live.shift();
      if (old) {
        disconnects++;
        disconnects % 2 ? old.c.close() : old.c.abort();
      }
      if (inflight > 4 * a.rate) {
        failed++; // the server is not keeping up with the handshakes: count it, do not pile on
        continue;
      }
      const room = rooms[k++ % rooms.length]!;
      const t0 = performance.now();
      inflight++;
      room.subscriber(1_000_000 + k).then(
        (c) => {
          inflight--;
          connects++;
          handshakes.push(performance.now() - t0);
          live.push({ c, room });
        },
        () => (inflight--, failed++),
      );
    }
  }, tickMs);
  const pub = setInterval(() => {
    for (const r of rooms) r.publish();
  }, 1000);
  for (const r of rooms) r.measuring = true;
  const rss: ChurnResult["rss"] = [];
  const t0 = performance.now();
  const cpu = cpuWindow(a.pid);
  for (let s = 1; s <= a.durationS; s++) {
    await sleep(t0 + s * 1000 - performance.now());
    rss.push({ t: s, kib: rssKiB(a.pid) });
  }
  const used = cpu();
  clearInterval(churn);
  clearInterval(pub);
  await sleep(1000);
  for (const { c } of live) c.abort();
  for (const r of rooms) r.close();
  await sleep(2000);
  const result: ChurnResult = {
    rss,
    rssAfterKiB: rssKiB(a.pid),
    slopeKiBPerMin: slope(rss.filter((p) => p.t > a.warmS)),
    delay: latency(rooms.flatMap((r) => r.samples)),
    handshake: latency(handshakes),
    connects,
    disconnects,
    failed,
    serverCpu: used.server / used.wall,
    clientCpu: used.client / used.wall,
  };
  console.log(JSON.stringify(result));
  process.exit(0);
}
