// The two load shapes, shared by the fan-out load generators:
//   closed loop: publish whenever fewer than `inflight` deliveries are outstanding (the server
//     or the client saturates; a lost frame is noticed rather than hanging the loop);
//   open loop: a fixed number of deliveries per second asked, whatever the server does.
// The measured window starts after a warm-up; CPU of server and client is read around it.
import { cpuWindow } from "./proc.ts";
import { quiesce, sleep } from "./room.ts";
import { latency, type Latency } from "./stats.ts";

export interface PhaseArgs {
  /** The server's process, or every process of a cluster (their CPU is summed). */
  pid: number | number[];
  warmMs: number;
  ms: number;
  /** Open loop: deliveries per second asked. Closed loop: deliveries outstanding at most. */
  openRate: number;
  inflight: number;
}

export interface Load {
  /** Publish one broadcast; returns how many deliveries it owes. */
  publish(): number;
  delivered(): number;
  /** Latency samples are taken while measuring is set. */
  setMeasuring(on: boolean): void;
  takeSamples(): number[];
  /** The closed loop is pumped from here, after every frame or chunk the clients read. */
  onProgress: (() => void) | null;
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

export async function phase(load: Load, shape: "closed" | "open", a: PhaseArgs, n: number): Promise<ShapeResult> {
  const base = load.delivered();
  let owed = 0;
  let pumping = false;
  load.takeSamples();
  let lastCount = base;
  let lastProgress = performance.now();
  let stalled = false;
  const t0 = performance.now();
  let timer: ReturnType<typeof setInterval>;
  if (shape === "closed") {
    load.onProgress = () => {
      if (pumping) return;
      pumping = true;
      while (owed - (load.delivered() - base) < a.inflight) owed += load.publish();
      pumping = false;
    };
    load.onProgress();
    timer = setInterval(() => {
      const c = load.delivered();
      if (c !== lastCount) (lastCount = c), (lastProgress = performance.now());
      else if (performance.now() - lastProgress > 2000) stalled = true;
    }, 100);
  } else {
    timer = setInterval(() => {
      const due = ((performance.now() - t0) / 1000) * a.openRate;
      while (owed < due) owed += load.publish();
    }, 5);
  }
  await sleep(a.warmMs);
  load.setMeasuring(true);
  const d0 = load.delivered();
  const stop = cpuWindow(a.pid);
  await sleep(a.ms);
  const cpu = stop();
  const d = load.delivered() - d0;
  load.setMeasuring(false);
  load.onProgress = null;
  clearInterval(timer);
  await quiesce(() => load.delivered(), 10_000);
  return {
    n,
    shape,
    deliveries: d,
    wall: cpu.wall,
    serverCpu: cpu.server,
    clientCpu: cpu.client,
    rate: d / cpu.wall,
    perCpu: d / cpu.server,
    lat: latency(load.takeSamples()),
    complete: owed ? (load.delivered() - base) / owed : 1,
    stalled,
  };
}
