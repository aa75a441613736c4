// Load generator for one-room fan-out (F1, and the S1 bystanders), run as its own process so its
// CPU is measured apart from the server's. Per room size N: one publisher, N − P cheap counting
// subscribers and P real WebSocket probes; then a closed-loop phase (publish whenever fewer than
// `inflight` deliveries are outstanding: the server or the client saturates) and an open-loop
// phase (a fixed publish rate). Prints one JSON line with a result per (N, shape).
//   bun scripts/bench/loadgen-fanout.ts '{"port":…,"pid":…,"path":"b0","ns":[100],…}'
import { cpuWindow } from "./lib/proc.ts";
import { quiesce, RoomClients, sleep } from "./lib/room.ts";
import { latency, type Latency } from "./lib/stats.ts";

export interface FanoutArgs {
  port: number;
  pid: number;
  path: string;
  ns: number[];
  probes: number;
  warmMs: number;
  closedMs: number;
  openMs: number;
  /** Open loop: deliveries per second asked of the server. */
  openRate: number;
  /** Closed loop: deliveries outstanding at most. */
  inflight: number;
}

export interface ShapeResult {
  n: number;
  shape: "closed" | "open";
  deliveries: number;
  wall: number;
  serverCpu: number;
  clientCpu: number;
  /** Deliveries per wall second and per server CPU-second. */
  rate: number;
  perCpu: number;
  lat: Latency;
  /** Deliveries seen / deliveries owed after the phase drained (1 = nothing lost). */
  complete: number;
  stalled: boolean;
}

async function runRoom(a: FanoutArgs, n: number): Promise<ShapeResult[]> {
  const rc = await RoomClients.open(a.port, a.path, `r${n}x${process.pid}`, n, a.probes);
  let sent = 0;
  let base = 0;
  let closedLoop = false;
  const window = Math.max(2, Math.ceil(a.inflight / n));
  rc.onProgress = () => {
    if (!closedLoop) return;
    const done = (rc.delivered() - base) / n;
    while (sent - done < window) rc.publish(), sent++;
  };

  const results: ShapeResult[] = [];
  const phase = async (shape: "closed" | "open", ms: number) => {
    base = rc.delivered();
    sent = 0;
    rc.samples = [];
    let timer: ReturnType<typeof setInterval>;
    let lastProgress = performance.now();
    let lastCount = base;
    let stalled = false;
    const t0 = performance.now();
    const perSec = a.openRate / n;
    if (shape === "closed") {
      closedLoop = true;
      rc.onProgress?.();
      // A lost frame would stop a closed loop for good: notice instead of hanging.
      timer = setInterval(() => {
        const c = rc.delivered();
        if (c !== lastCount) (lastCount = c), (lastProgress = performance.now());
        else if (performance.now() - lastProgress > 2000) stalled = true;
      }, 100);
    } else {
      timer = setInterval(() => {
        const due = Math.floor(((performance.now() - t0) / 1000) * perSec);
        while (sent < due) rc.publish(), sent++;
      }, 5);
    }
    await sleep(a.warmMs);
    rc.measuring = true;
    const d0 = rc.delivered();
    const stop = cpuWindow(a.pid);
    await sleep(ms);
    const cpu = stop();
    const d = rc.delivered() - d0;
    rc.measuring = false;
    closedLoop = false;
    clearInterval(timer);
    await quiesce(() => rc.delivered(), 10_000);
    const owed = sent * n;
    results.push({
      n,
      shape,
      deliveries: d,
      wall: cpu.wall,
      serverCpu: cpu.server,
      clientCpu: cpu.client,
      rate: d / cpu.wall,
      perCpu: d / cpu.server,
      lat: latency(rc.samples),
      complete: owed ? (rc.delivered() - base) / owed : 1,
      stalled,
    });
  };
  await phase("closed", a.closedMs);
  await phase("open", a.openMs);
  await rc.close();
  return results;
}

if (import.meta.main) {
  const a = JSON.parse(process.argv[2] ?? "{}") as FanoutArgs;
  const out: ShapeResult[] = [];
  for (const n of a.ns) out.push(...(await runRoom(a, n)));
  console.log(JSON.stringify({ results: out }));
  process.exit(0);
}
