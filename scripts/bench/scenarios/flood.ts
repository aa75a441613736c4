// R1: Socket.IO floods against the rate limit, with the server's default limits (docs/socketio.md#rate-limit).
// A probe user's `query` round trips alone, then while one client floods one packet as fast as it
// can (each session closed once its rate queue is full, then reopened): acks (`430[]`), CONNECTs to
// an unknown namespace (`40/nope,`), and events; then three clients flooding acks. Target: one
// flooding client costs the probe < 20 ms at p99.
import { join } from "node:path";
import { runJson } from "../../lib/spawn.ts";
import type { FloodArgs, FloodResult, ProbeResult } from "../loadgen-sio-flood.ts";
import { cpuWindow } from "../lib/proc.ts";
import { log, ms, table, type Opts, type Section } from "../lib/report.ts";
import { startServer } from "../lib/servers.ts";
import { fmt, latency, median, pct } from "../lib/stats.ts";

const loadgen = join(import.meta.dir, "..", "loadgen-sio-flood.ts");
/** The defaults the harness otherwise raises (lib/servers.ts benchFlags). */
const BURST = 400;
const QUEUE = 5000;
const DEFAULT_LIMITS = ["--rate-limit", "200", "--rate-burst", String(BURST), "--rate-queue", String(QUEUE), "--sio-sessions-per-ip", "1000"];
const run = <T>(a: FloodArgs) => runJson<T>([process.execPath, loadgen, JSON.stringify(a)], (a.seconds + 30) * 1000);

export async function r1(o: Opts): Promise<Section> {
  const seconds = o.durationS ?? (o.quick ? 2 : 5);
  const floods = [
    { label: "none", packet: null, flooders: 0 },
    { label: "acks `430[]`", packet: "430[]", flooders: 1 },
    { label: "CONNECTs `40/nope,`", packet: "40/nope,", flooders: 1 },
    { label: "events `42[\"x\"]`", packet: '42["x"]', flooders: 1 },
    { label: "acks `430[]`, 3 clients", packet: "430[]", flooders: 3 },
  ];
  const rows: string[][] = [];
  const p99s = new Map<string, number[]>();
  for (let rep = 0; rep < o.reps; rep++) {
    const srv = await startServer("switchboard", DEFAULT_LIMITS);
    try {
      for (const f of floods) {
        const cpu = cpuWindow(srv.pid);
        const flooding = f.packet === null ? Promise.resolve(null) : run<FloodResult>({ port: srv.port, role: "flood", packet: f.packet, flooders: f.flooders, seconds: seconds + 0.5 });
        if (f.packet !== null) await Bun.sleep(300); // the flood is under way before the probe starts
        const p = await run<ProbeResult>({ port: srv.port, role: "probe", seconds });
        const fr = await flooding;
        const c = cpu();
        const lat = latency(p.samples);
        p99s.set(f.label, [...(p99s.get(f.label) ?? []), lat.p99]);
        // Each closed session had its burst and its queue handled, and the packet that overflowed.
        const handled = fr ? (fr.closed1008 * (BURST + QUEUE + 1)) / c.wall : 0;
        log(`R1 rep ${rep + 1}/${o.reps} flood ${f.label}: probe ${lat.n} round trips, p50 ${ms(lat.p50)} p99 ${ms(lat.p99)} max ${ms(lat.max)} ms, ${p.failed} lost; ` + (fr ? `${fr.sessions} flooding sessions (${fr.closed1008} closed 1008), ~${fmt(handled)} flood packets/s handled; ` : "") + `server CPU ${pct(c.server / c.wall)}`);
        rows.push([String(rep + 1), f.label, String(lat.n), `${ms(lat.p50)} / ${ms(lat.p99)} / ${ms(lat.max)}`, String(p.failed), fr ? `${fr.sessions} (${fr.closed1008})` : "–", fr ? fmt(handled) : "–", pct(c.server / c.wall)]);
      }
    } finally {
      await srv.stop();
    }
  }
  const base = median(p99s.get("none") ?? []);
  const verdicts = floods.slice(1).map((f) => {
    const extra = median(p99s.get(f.label) ?? []) - base;
    const target = f.flooders === 1 ? (extra < 20 ? " ✓ < 20 ms" : " ✗ ≥ 20 ms") : " (beyond the target's one client)";
    return `${f.label}: ${extra >= 0 ? "+" : ""}${ms(extra)} ms at p99${target}`;
  });
  return {
    title: "R1 Socket.IO floods against the rate limit",
    lines: [
      `The server with its default limits (--rate-limit 200, --rate-burst 400, --rate-queue 5000). A probe user on a raw WebSocket sends \`query\` and waits for its ack, one at a time and at most one every 10 ms (under the rate), for ${seconds} s: alone, then while flooding clients (another process) each send one packet as fast as the socket takes it, get closed once their queue is full (1008) and open a new session. The server handles 5,401 packets of each flooding session (its burst, its queue, the one refused) and closes it; "flood packets/s handled" counts those. Medians of the p99 over ${o.reps} repetitions; target: one flooding client adds < 20 ms to the probe's p99.`,
      "",
      ...table(["rep", "flood", "round trips", "probe p50 / p99 / max ms", "lost", "flooding sessions (closed 1008)", "flood packets/s handled", "server CPU"], rows),
      "",
      ...verdicts.map((v) => `- ${v}`),
    ],
  };
}
