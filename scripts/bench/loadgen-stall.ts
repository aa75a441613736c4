// Load generator for S1: one stalled subscriber among N. Publishes at a fixed rate to a room of N
// (one of them a separate process that gets SIGSTOP), and compares the other subscribers' latency
// before and while it is stalled; watches /healthz for the moment the server drops the staller
// (its policy: disconnect once --backpressure-bytes are queued), then SIGCONTs it to learn the
// close code it was sent. Prints one JSON line.
import { join } from "node:path";
import { cpuWindow } from "./lib/proc.ts";
import { readUntil } from "../lib/spawn.ts";
import { quiesce, RoomClients, sleep } from "./lib/room.ts";
import { latency, type Latency } from "./lib/stats.ts";
import { getPath } from "./paths.ts";

export interface StallArgs {
  port: number;
  pid: number;
  path: string;
  n: number;
  /**
   * Bytes per second each subscriber should receive: the publish rate is set from the path's
   * frame size (measured on a first 200 broadcasts), so a stall fills the buffers in seconds
   * whatever the protocol's frames are, capped at maxRate publishes/s.
   */
  bytesPerSec: number;
  maxRate: number;
  healthyMs: number;
  /** Give up waiting for the server to drop the staller after this long. */
  maxStallMs: number;
}
export interface StallResult {
  rate: number;
  frameBytes: number;
  healthy: Latency;
  stalled: Latency;
  healthyCpu: number;
  stalledCpu: number;
  /** ms from SIGSTOP until /healthz showed the staller gone (-1: not within maxStallMs). */
  dropMs: number;
  staller: { frames: number; bytes: number; closeCode: number | null; ended: boolean };
  /** Frames the others received / frames owed them (1: nobody else lost anything). */
  othersComplete: number;
  othersClosed: number;
}

async function connections(port: number, protocol: string): Promise<number> {
  const j = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { connections: Record<string, number> };
  return j.connections[protocol] ?? 0;
}

if (import.meta.main) {
  const a = JSON.parse(process.argv[2] ?? "{}") as StallArgs;
  const protocol = getPath(a.path).protocol;
  if (!protocol) throw new Error(`S1 needs a Switchboard path with a /healthz label, not ${a.path}`);
  const rc = await RoomClients.open(a.port, a.path, `stall${process.pid}`, a.n - 1, 4);
  const staller = Bun.spawn([process.execPath, join(import.meta.dir, "stall-client.ts"), String(a.port), rc.room.subPath, JSON.stringify(rc.room.subSetup(a.n))], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const lines = staller.stdout.pipeThrough(new TextDecoderStream()).getReader();
  await readUntil(lines, (t) => t.includes("ready\n"), "the stall client");
  await quiesce(() => rc.delivered());

  const b0 = rc.tally.bytes;
  const f0 = rc.tally.frames;
  for (let i = 0; i < 200; i++) rc.publish();
  await quiesce(() => rc.delivered());
  const frameBytes = (rc.tally.bytes - b0) / Math.max(1, rc.tally.frames - f0);
  const rate = Math.min(a.maxRate, Math.round(a.bytesPerSec / frameBytes));

  const base = rc.delivered();
  let sent = 0;
  const t0 = performance.now();
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    while (sent < due) rc.publish(), sent++;
  }, 5);
  await sleep(300);
  rc.measuring = true;
  let cpu = cpuWindow(a.pid);
  await sleep(a.healthyMs);
  const healthyCpu = cpu();
  const healthy = latency(rc.samples);
  rc.samples = [];

  const before = await connections(a.port, protocol);
  staller.kill("SIGSTOP");
  const stoppedAt = performance.now();
  cpu = cpuWindow(a.pid);
  let dropMs = NaN;
  while (performance.now() - stoppedAt < a.maxStallMs) {
    await sleep(100);
    if ((await connections(a.port, protocol)) < before) {
      dropMs = performance.now() - stoppedAt;
      break;
    }
  }
  await sleep(500);
  const stalledCpu = cpu();
  const stalled = latency(rc.samples);
  rc.measuring = false;
  clearInterval(timer);
  await quiesce(() => rc.delivered(), 10_000);
  const othersComplete = (rc.delivered() - base) / (sent * (a.n - 1));
  const othersClosed = rc.cheap.filter((c) => c.ended).length + rc.probes.filter((p) => p.closeCode !== null).length;

  staller.kill("SIGCONT");
  // A staller the server never dropped stays connected: give it 10 s to drain and report.
  let report = "";
  const giveUp = setTimeout(() => staller.kill("SIGKILL"), Number.isFinite(dropMs) ? 30_000 : 10_000);
  for (;;) {
    const { value, done } = await lines.read();
    if (done) break;
    report += value;
  }
  clearTimeout(giveUp);
  const last = report.trim().split("\n").pop() ?? "";
  rc.close();
  const result: StallResult = {
    healthy,
    stalled,
    healthyCpu: healthyCpu.server / healthyCpu.wall,
    stalledCpu: stalledCpu.server / stalledCpu.wall,
    dropMs: Number.isFinite(dropMs) ? dropMs : -1,
    staller: last.startsWith("{") ? (JSON.parse(last) as StallResult["staller"]) : { frames: NaN, bytes: NaN, closeCode: null, ended: false },
    rate,
    frameBytes,
    othersComplete,
    othersClosed,
  };
  console.log(JSON.stringify(result));
  process.exit(0);
}
