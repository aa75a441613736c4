// Load generator for F2: many small rooms (default 1000 × 10) with a skewed publish distribution
// (Zipf, s = 1: the busiest room gets ~13% of the broadcasts, most rooms a trickle), the shape of
// a real deployment. One publisher per room, cheap counting members, 1 probe in each of a few
// rooms (hot and cold). Closed-loop and open-loop phases as in F1. Prints one JSON line.
import { phase, type Load, type PhaseArgs, type ShapeResult } from "./lib/phase.ts";
import type { Tally } from "./lib/rawws.ts";
import { quiesce, RoomClients } from "./lib/room.ts";

export interface RoomsArgs extends Omit<PhaseArgs, "ms"> {
  port: number;
  path: string;
  rooms: number;
  members: number;
  closedMs: number;
  openMs: number;
}

/** Room indices drawn with probability ∝ 1/(rank+1). */
export function zipf(n: number, s = 1): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / (i + 1) ** s;
  return () => {
    const x = Math.random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

if (import.meta.main) {
  const a = JSON.parse(process.argv[2] ?? "{}") as RoomsArgs;
  const tally: Tally = { frames: 0, bytes: 0 };
  const probed = new Set([0, 1, Math.floor(a.rooms / 2), a.rooms - 1]);
  // Rooms are set up 16 at a time: sequentially, 1000 publishers' handshakes take seconds.
  const rooms: RoomClients[] = new Array(a.rooms);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < a.rooms; i = next++) rooms[i] = await RoomClients.open(a.port, a.path, `f2r${i}x${process.pid}`, a.members, probed.has(i) ? 1 : 0, { settle: false, tally });
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  const delivered = () => tally.frames + rooms.reduce((s, r) => s + r.probeFrames, 0);
  await quiesce(delivered);
  const pick = zipf(a.rooms);
  const load: Load = {
    publish: () => {
      const r = rooms[pick()]!;
      r.publish();
      return r.n;
    },
    delivered,
    setMeasuring: (on) => rooms.forEach((r) => (r.measuring = on)),
    takeSamples: () => rooms.flatMap((r) => r.samples.splice(0)),
    onProgress: null,
  };
  tally.onData = () => load.onProgress?.();
  for (const r of rooms) r.onProgress = tally.onData;
  const n = a.rooms * a.members;
  const out: ShapeResult[] = [await phase(load, "closed", { ...a, ms: a.closedMs }, n), await phase(load, "open", { ...a, ms: a.openMs }, n)];
  for (const r of rooms) r.close();
  console.log(JSON.stringify({ results: out }));
  process.exit(0);
}
