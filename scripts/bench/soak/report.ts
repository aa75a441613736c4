// The soak's result (one JSON object) and its markdown tables for docs/bench.md#soak.
import { table } from "../lib/report.ts";
import type { Driver } from "./common.ts";

export interface ProtocolResult {
  name: string;
  connections: number;
  received: number;
  lost: number;
  duplicated: number;
  reordered: number;
  faults: Record<string, number>;
  connects: number;
  disconnects: number;
  lat: Record<string, { n: number; p50: number; p99: number; max: number }>;
  /** Buzzer only: serial link resets by the watchdog, and the buzzes missing across them. */
  resets?: { count: number; buzzes: number };
}

export interface SoakResult {
  seconds: number;
  warmupS: number;
  target: { connections: number; churnPerS: number };
  /** Connections the server counted (/healthz) near the end, per protocol and in total. */
  serverConnections: Record<string, number>;
  churn: { connects: number; disconnects: number; perS: number; failed: number; skipped: number };
  rss: { startMiB: number; endMiB: number; minMiB: number; maxMiB: number; slopeMiBPerMin: number; floorSlopeMiBPerMin: number; afterMiB: number };
  cpu: { server: number; client: number };
  loadavg: number;
  serverExit: number | null;
  protocols: ProtocolResult[];
  ok: boolean;
}

export function protocolResult(d: Driver): ProtocolResult {
  return {
    name: d.name,
    connections: d.live(),
    received: d.t.received,
    lost: d.t.lost,
    duplicated: d.t.duplicated,
    reordered: d.t.reordered,
    faults: Object.fromEntries(d.t.faults),
    connects: d.t.connects,
    disconnects: d.t.disconnects,
    lat: Object.fromEntries(Object.entries(d.lat).map(([k, h]) => [k, h.summary()])),
    ...("resets" in d ? { resets: { ...(d as { resets: { count: number; buzzes: number } }).resets } } : {}),
  };
}

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "–");
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "–");
const n = (x: number) => x.toLocaleString("en-US");

export function markdown(r: SoakResult, command: string): string[] {
  const mins = r.seconds / 60;
  const lines = [
    `Command: \`${command}\`, ${new Date().toISOString()}; ${f1(mins)} min of load after the ramp-up, load average at the end ${r.loadavg}.`,
    "",
    `Connections held: ${n(Object.values(r.serverConnections).reduce((a, b) => a + b, 0))} by the server's count near the end ` +
      `(${Object.entries(r.serverConnections).map(([k, v]) => `${k} ${n(v)}`).join(", ")}); churn ${f1(r.churn.perS)} connects + as many disconnects per second ` +
      `(${n(r.churn.connects)} / ${n(r.churn.disconnects)}; target ${r.target.churnPerS}/s; ${r.churn.failed} failed, ${r.churn.skipped} skipped).`,
    "",
    ...table(
      ["protocol", "connections", "messages checked", "lost", "duplicated", "reordered", "other faults", "latency p50 / p99 (max) ms"],
      r.protocols.map((p) => [
        p.name,
        n(p.connections),
        n(p.received),
        p.lost,
        p.duplicated,
        p.reordered,
        [
          ...Object.entries(p.faults).map(([k, v]) => `${k}: ${v}`),
          ...(p.resets?.count ? [`serial link resets: ${p.resets.count} (buzzes missing across them: ${p.resets.buzzes})`] : []),
        ].join("; ") || "0",
        Object.entries(p.lat).map(([k, l]) => `${k}: ${f2(l.p50)} / ${f2(l.p99)} (${f1(l.max)})`).join("<br>"),
      ]),
    ),
    "",
    ...table(
      ["server", "value"],
      [
        ["RSS after the warm-up → at the end (min – max)", `${f1(r.rss.startMiB)} → ${f1(r.rss.endMiB)} MiB (${f1(r.rss.minMiB)} – ${f1(r.rss.maxMiB)})`],
        [`RSS slope, least squares over 1 s samples after ${r.warmupS} s`, `${f2(r.rss.slopeMiBPerMin)} MiB/min`],
        ["RSS floor slope (minima of 30 s blocks)", `${f2(r.rss.floorSlopeMiBPerMin)} MiB/min`],
        ["RSS 3 s after every client left", `${f1(r.rss.afterMiB)} MiB`],
        ["CPU, server / load generator (share of one core)", `${Math.round(r.cpu.server * 100)}% / ${Math.round(r.cpu.client * 100)}%`],
        ["exit status after SIGTERM", String(r.serverExit)],
      ],
    ),
  ];
  return lines;
}
