// F4: the Socket.IO relay end to end (user → monitor → done → user), websocket and polling,
// Switchboard against B2 (the official socket.io server on Node running the same relay logic).
// Target: ≥ 2× B2 commands per second.
import { join } from "node:path";
import type { ShapeResult } from "../lib/phase.ts";
import { cpuNote, log, ms, ratio, rotate, table, type Opts, type Section } from "../lib/report.ts";
import { startServer, type ServerKind } from "../lib/servers.ts";
import { runJson } from "../../lib/spawn.ts";
import { fmt, median, pct } from "../lib/stats.ts";
import type { RelayArgs } from "../loadgen-relay.ts";

const loadgen = join(import.meta.dir, "..", "loadgen-relay.ts");

export async function f4(o: Opts): Promise<Section> {
  // 16 devices and their users, 4 commands outstanding each: enough work in flight that the
  // servers, not the round trip, set the pace (with 8 × 2 neither server nor client was busy).
  // Not more pairs: past 64 sessions Bun's fetch, under the raw polling client, stops keeping
  // its connections alive and the run measures TCP handshakes.
  const pairs = 16;
  const outstanding = 4;
  const variants: { label: string; kind: ServerKind }[] = [{ label: "B2 (socket.io on Node)", kind: "b2" }];
  const sio = await hasSocketIo();
  if (sio) variants.push({ label: "Switchboard", kind: "switchboard" });
  const all = new Map<string, ShapeResult[]>();
  const runs = [
    { transport: "websocket", client: "sio" },
    { transport: "polling", client: "sio" },
    { transport: "websocket", client: "raw" },
    { transport: "polling", client: "raw" },
  ] as const;
  for (const { transport, client } of runs)
    for (let rep = 0; rep < o.reps; rep++)
      for (const v of rotate(variants, rep)) {
        const srv = await startServer(v.kind);
        try {
          const args: RelayArgs = { port: srv.port, pid: srv.pid, pairs, outstanding, transport, client, warmMs: 300, closedMs: o.quick ? 600 : 800, openMs: o.quick ? 600 : 800, openRate: transport === "websocket" ? 500 : 200 };
          const r = await runJson<{ results: ShapeResult[]; failed: number }>([process.execPath, loadgen, JSON.stringify(args)], 120_000);
          for (const x of r.results) {
            log(`F4 rep ${rep + 1}/${o.reps} ${v.label} ${transport}/${client} ${x.shape}: ${fmt(x.rate)} commands/s, ${fmt(x.perCpu)} per server CPU-s, ${cpuNote(x.serverCpu, x.clientCpu, x.wall)}, round trip p50 ${ms(x.lat.p50)} ms p99 ${ms(x.lat.p99)} ms${r.failed ? `, ${r.failed} FAILED` : ""}`);
            const k = `${v.label}|${transport}/${client}|${x.shape}`;
            all.set(k, [...(all.get(k) ?? []), x]);
          }
        } finally {
          await srv.stop();
        }
      }
  const rows: string[][] = [];
  for (const transport of runs.map((r) => `${r.transport}/${r.client}`))
    for (const shape of ["closed", "open"])
      for (const v of variants) {
        const rs = all.get(`${v.label}|${transport}|${shape}`) ?? [];
        const m = (f: (r: ShapeResult) => number) => median(rs.map(f));
        const b2 = median((all.get(`${variants[0]!.label}|${transport}|${shape}`) ?? []).map((r) => r.rate));
        const rel = m((r) => r.rate) / b2;
        const verdict = v.kind !== "switchboard" ? "" : shape === "open" ? "(rate fixed)" : rel >= 2 ? "✓ ≥ 2×" : `✗ ${ratio(rel)}`;
        rows.push([v.label, transport.replace("/sio", " (socket.io-client)").replace("/raw", " (raw frames)"), shape, fmt(m((r) => r.rate)), ratio(rel), fmt(m((r) => r.perCpu)), pct(m((r) => r.serverCpu / r.wall)), pct(m((r) => r.clientCpu / r.wall)), `${ms(m((r) => r.lat.p50))} / ${ms(m((r) => r.lat.p99))}`, verdict]);
      }
  return {
    title: "F4 Socket.IO relay",
    lines: [
      `${pairs} user/monitor pairs on socket.io-client 4.x (in Bun), and with raw Socket.IO clients over both transports (lib/sio-raw.ts: the same packets, from a raw TCP socket or plain fetch, far less client CPU); closed loop: ${outstanding} commands outstanding per pair, the user whose command finished sending the next; open loop: 500 commands/s over websocket, 200 over polling. ` +
        `A command = \`command send\` → \`command do\` → \`command done\` → \`command finish\`. Medians of ${o.reps} alternated repetitions.` +
        (sio ? "" : " Switchboard does not serve /socket.io/ yet on this branch: only B2 was measured."),
      "",
      ...table(["server", "transport (client)", "shape", "commands/s", "× B2", "commands / server CPU-s", "server CPU", "client CPU", "round trip p50 / p99 ms", "target ≥ 2× B2"], rows),
    ],
  };
}

async function hasSocketIo(): Promise<boolean> {
  const srv = await startServer("switchboard");
  try {
    const r = await fetch(`http://127.0.0.1:${srv.port}/socket.io/?EIO=4&transport=polling`);
    return r.status === 200;
  } finally {
    await srv.stop();
  }
}
