// Load generator for one-room fan-out (F1), run as its own process so its CPU is measured apart
// from the server's. Per room size N: one publisher, N − P cheap counting subscribers and P real
// WebSocket probes; then a closed-loop and an open-loop phase (lib/phase.ts).
// Prints one JSON line with a result per (N, shape).
//   bun scripts/bench/loadgen-fanout.ts '{"port":…,"pid":…,"path":"b0","ns":[100],…}'
import { phase, type Load, type PhaseArgs, type ShapeResult } from "./lib/phase.ts";
import { RoomClients } from "./lib/room.ts";

export interface FanoutArgs extends Omit<PhaseArgs, "ms"> {
  port: number;
  path: string;
  ns: number[];
  probes: number;
  closedMs: number;
  openMs: number;
  /** The publisher's server, when it is not the subscribers' (another node of a cluster). */
  pubPort?: number;
}

export function roomLoad(rc: RoomClients): Load {
  const load: Load = {
    publish: () => (rc.publish(), rc.n),
    delivered: () => rc.delivered(),
    setMeasuring: (on) => (rc.measuring = on),
    takeSamples: () => rc.samples.splice(0),
    onProgress: null,
  };
  rc.onProgress = () => load.onProgress?.();
  return load;
}

if (import.meta.main) {
  const a = JSON.parse(process.argv[2] ?? "{}") as FanoutArgs;
  const out: ShapeResult[] = [];
  for (const n of a.ns) {
    const rc = await RoomClients.open(a.port, a.path, `r${n}x${process.pid}`, n, a.probes, { pubPort: a.pubPort });
    const load = roomLoad(rc);
    out.push(await phase(load, "closed", { ...a, ms: a.closedMs }, n));
    out.push(await phase(load, "open", { ...a, ms: a.openMs }, n));
    rc.close();
    await Bun.sleep(100);
  }
  console.log(JSON.stringify({ results: out }));
  process.exit(0);
}
