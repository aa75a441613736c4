// Load generator for one-room fan-out (F1, and the S1 bystanders), run as its own process so its
// CPU is measured apart from the server's. Per room size N: one publisher, N − P cheap counting
// subscribers and P real WebSocket probes; then a closed-loop phase (publish whenever fewer than
// `inflight` deliveries are outstanding: the server or the client saturates) and an open-loop
// phase (a fixed publish rate). Prints one JSON line with a result per (N, shape).
//   bun scripts/bench/loadgen-fanout.ts '{"port":…,"pid":…,"path":"b0","ns":[100],…}'
import { cpuWindow } from "./lib/proc.ts";
import { connectMany, connectRaw, type Tally } from "./lib/rawws.ts";
import { latency, type Latency } from "./lib/stats.ts";
import { Ws } from "./lib/wsclient.ts";
import { getPath, type Room } from "./paths.ts";
import "./protocol-paths.ts";

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function quiesce(count: () => number, maxMs = 15_000, stableMs = 300): Promise<void> {
  const end = performance.now() + maxMs;
  let last = -1;
  while (performance.now() < end) {
    const c = count();
    if (c === last) return;
    last = c;
    await sleep(stableMs);
  }
}

async function runRoom(a: FanoutArgs, n: number): Promise<ShapeResult[]> {
  const path = getPath(a.path);
  const room: Room = await path.room(a.port, `r${n}x${process.pid}`, n);
  const probes = Math.min(a.probes, n);
  const tally: Tally = { frames: 0, bytes: 0 };
  const cheap = await connectMany(n - probes, 64, (i) => connectRaw(a.port, room.subPath, { tally, setup: room.subSetup(i) }));
  const mod = room.modulo ?? 0;
  const sentAt = new Map<number, number>();
  let samples: number[] = [];
  let measuring = false;
  let probeFrames = 0;
  const probeWs: Ws[] = [];
  for (let p = 0; p < probes; p++) {
    const w = await Ws.open(`ws://127.0.0.1:${a.port}${room.subPath}`);
    w.onText = (t) => {
      probeFrames++;
      if (measuring) {
        const s = room.seqOf(t);
        const t0 = s === null ? undefined : sentAt.get(s);
        if (t0 !== undefined) samples.push(performance.now() - t0);
      }
      pump();
    };
    for (const f of room.subSetup(n - probes + p)) w.send(f);
    probeWs.push(w);
  }
  const delivered = () => tally.frames + probeFrames;
  await quiesce(delivered);

  let seq = 0;
  let sent = 0;
  let base = 0;
  let closedLoop = false;
  const window = Math.max(2, Math.ceil(a.inflight / n));
  const publishOne = () => {
    seq++;
    sent++;
    sentAt.set(mod ? seq % mod : seq, performance.now());
    if (!mod && sentAt.size > 100_000) sentAt.clear();
    room.publish(seq);
  };
  function pump() {
    if (!closedLoop) return;
    const done = (delivered() - base) / n;
    while (sent - done < window) publishOne();
  }
  tally.onData = pump;

  const results: ShapeResult[] = [];
  const phase = async (shape: "closed" | "open", ms: number) => {
    base = delivered();
    sent = 0;
    samples = [];
    let timer: ReturnType<typeof setInterval>;
    let lastProgress = performance.now();
    let lastCount = base;
    let stalled = false;
    const t0 = performance.now();
    const perSec = a.openRate / n;
    if (shape === "closed") {
      closedLoop = true;
      pump();
      // A lost frame would stop a closed loop for good: notice instead of hanging.
      timer = setInterval(() => {
        const c = delivered();
        if (c !== lastCount) (lastCount = c), (lastProgress = performance.now());
        else if (performance.now() - lastProgress > 2000) stalled = true;
      }, 100);
    } else {
      timer = setInterval(() => {
        const due = Math.floor(((performance.now() - t0) / 1000) * perSec);
        while (sent < due) publishOne();
      }, 5);
    }
    await sleep(a.warmMs);
    measuring = true;
    const d0 = delivered();
    const stop = cpuWindow(a.pid);
    await sleep(ms);
    const cpu = stop();
    const d = delivered() - d0;
    measuring = false;
    closedLoop = false;
    clearInterval(timer);
    await quiesce(delivered, 10_000);
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
      lat: latency(samples),
      complete: owed ? (delivered() - base) / owed : 1,
      stalled,
    });
  };
  await phase("closed", a.closedMs);
  await phase("open", a.openMs);

  for (const c of cheap) c.abort();
  for (const w of probeWs) w.close();
  room.close();
  await sleep(100);
  return results;
}

if (import.meta.main) {
  const a = JSON.parse(process.argv[2] ?? "{}") as FanoutArgs;
  const out: ShapeResult[] = [];
  for (const n of a.ns) out.push(...(await runRoom(a, n)));
  console.log(JSON.stringify({ results: out }));
  process.exit(0);
}
