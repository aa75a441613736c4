// Metronome sync accuracy (docs/metronome.md#measured-sync-accuracy): how far apart do N phones click?
//
//   bun scripts/bench/metronome-sync.ts [--clients 50] [--trials 3] [--max-skew 5000]
//        [--min-delay 5] [--max-delay 80] [--jitter 5,10] [--asymmetry 0]
//        [--sync-calls 5] [--json]
//
// Boots the server from source (`bun src/main.ts --port 0`) as a child process, then for each trial
// and each client kind opens N simulated phones on 127.0.0.1 (metronome-sim-client.ts: clock skew up
// to ±max-skew, one-way delays min..max-delay including per-frame jitter, held in the client). Phone 0
// creates a group and the others join; it starts the metronome, then changes the tempo. Every phone
// converts the start_ts it received (its own clock) to true time; the spread (max − min) of those
// instants is how far apart the clicks land. Each jitter level in --jitter is run separately: the
// jitter is an extra per-frame delay, uniform in [0, J), drawn independently for each direction.
// Client kinds:
//   seed  — only what clients of the original protocol send: time_utc (get_id) and current_client_ts
//   sync  — the same, plus sync_time called 5 times (--sync-calls; each call reports the exchange
//           before it, so the server learns 4 complete exchanges and keeps the fastest)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startChild } from "../lib/spawn.ts";
import { SimClient, type NetProfile } from "./metronome-sim-client.ts";

export interface SyncOptions {
  clients: number;
  trials: number;
  maxSkewMs: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** Jitter levels to run (ms); each gets its own rows. */
  jitters: number[];
  /** Largest difference between a phone's uplink and downlink base delay (0: symmetric paths). */
  asymmetryMs: number;
  syncCalls: number;
}

export const defaultSyncOptions: SyncOptions = {
  clients: 50,
  trials: 3,
  maxSkewMs: 5000,
  minDelayMs: 5,
  maxDelayMs: 80,
  jitters: [5, 10],
  asymmetryMs: 0,
  syncCalls: 5,
};

export type Kind = "seed" | "sync";
export interface TrialResult {
  kind: Kind;
  jitterMs: number;
  firstBeatSpreadMs: number;
  tenthBeatSpreadMs: number;
}

const BPM_START = 120;
const BPM_UPDATE = 150;

function profile(o: SyncOptions, jitterMs: number, rand: () => number): NetProfile {
  // Base delays leave room for the jitter so every one-way delay stays within min..max.
  const span = Math.max(0, o.maxDelayMs - o.minDelayMs - jitterMs - o.asymmetryMs);
  const base = o.minDelayMs + rand() * span;
  const asym = rand() * o.asymmetryMs;
  const upFirst = rand() < 0.5;
  return {
    skew: (rand() * 2 - 1) * o.maxSkewMs,
    upMs: base + (upFirst ? asym : 0),
    downMs: base + (upFirst ? 0 : asym),
    jitterMs,
  };
}

const spread = (xs: number[]) => Math.max(...xs) - Math.min(...xs);

async function trial(url: string, kind: Kind, jitterMs: number, o: SyncOptions, rand: () => number): Promise<TrialResult> {
  const phones = await Promise.all(Array.from({ length: o.clients }, () => SimClient.open(url, profile(o, jitterMs, rand), rand)));
  try {
    await Promise.all(phones.map((p) => p.call("get_id", (now) => ({ time_utc: now }))));
    if (kind === "sync") {
      await Promise.all(
        phones.map(async (p) => {
          let previous: object | undefined;
          for (let i = 0; i < o.syncCalls; i++) {
            // Phones are not in lockstep: a random pause keeps 50 of them from all queueing at once.
            await Bun.sleep(rand() * 100);
            const d = await p.call("sync_time", (now) => ({ client_ts: now, ...(previous ? { previous } : {}) }));
            const { client_ts, server_recv_ts, server_send_ts } = d.msg.result;
            previous = { client_ts, server_recv_ts, server_send_ts, client_recv_ts: d.recvTs };
          }
        }),
      );
    }
    const owner = phones[0]!;
    const gid = (await owner.call("create_group", (now) => ({ time_utc: now }))).msg.result.group_id;
    await Promise.all(phones.slice(1).map((p) => p.call("subscribe_to_group", () => ({ group_id: gid }))));

    const isPlay = (m: any) => m.method === "play_sound";
    const firstWaits = phones.map((p) => p.wait(isPlay));
    await owner.call("start_metronome", (now) => ({ group_id: gid, current_client_ts: now, bpm: BPM_START }));
    const first = (await Promise.all(firstWaits)).map((d, i) => phones[i]!.toTrue(d.msg.params.start_ts));

    // Change the tempo once the grid is running (past the first beat).
    await Bun.sleep(Math.max(0, Math.max(...first) - performance.timeOrigin - performance.now()) + 700);
    const updWaits = phones.map((p) => p.wait(isPlay));
    await owner.call("update_temp", (now) => ({ group_id: gid, current_client_ts: now, bpm: BPM_UPDATE }));
    const tenth = (await Promise.all(updWaits)).map((d, i) => phones[i]!.toTrue(d.msg.params.start_ts) + (10 * 60000) / d.msg.params.bpm);
    await owner.call("stop_metronome", (now) => ({ group_id: gid, current_client_ts: now }));
    return { kind, jitterMs, firstBeatSpreadMs: spread(first), tenthBeatSpreadMs: spread(tenth) };
  } finally {
    for (const p of phones) p.close();
  }
}

/** Start the server from source on a free port; resolves with its URL and a stop function. */
async function bootChild(): Promise<{ url: string; stop: () => Promise<void> }> {
  const root = join(import.meta.dir, "..", "..");
  const dataDir = mkdtempSync(join(tmpdir(), "switchboard-bench-"));
  const child = await startChild([process.execPath, "src/main.ts", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir, "--log-format", "json"], { cwd: root });
  const stop = async () => {
    await child.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { url: `ws://127.0.0.1:${child.port}/connect`, stop };
}

/** Run every trial for each jitter level and both client kinds, alternating them (seed, sync, seed, sync…). */
export async function runMetronomeSync(opts: Partial<SyncOptions> = {}, log: (line: string) => void = () => {}): Promise<TrialResult[]> {
  const o = { ...defaultSyncOptions, ...opts };
  const rand = Math.random;
  const server = await bootChild();
  const results: TrialResult[] = [];
  try {
    for (let t = 0; t < o.trials; t++) {
      for (const jitter of o.jitters)
        for (const kind of ["seed", "sync"] as const) {
          const r = await trial(server.url, kind, jitter, o, rand);
          log(`trial ${t + 1} jitter ${jitter} ms ${kind}: first beat spread ${r.firstBeatSpreadMs.toFixed(1)} ms, 10th beat after update_temp ${r.tenthBeatSpreadMs.toFixed(1)} ms`);
          results.push(r);
        }
    }
  } finally {
    await server.stop();
  }
  return results;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** A markdown table: median and worst spread over the trials, per client kind. */
export function syncTable(results: TrialResult[], o: SyncOptions): string {
  const label: Record<Kind, string> = {
    seed: "seed-only (time_utc / current_client_ts)",
    sync: `+ sync_time ×${o.syncCalls}`,
  };
  const cell = (xs: number[]) => `${median(xs).toFixed(1)} (worst ${Math.max(...xs).toFixed(1)})`;
  const rows = o.jitters.flatMap((jitter) =>
    (["seed", "sync"] as const).map((kind) => {
      const rs = results.filter((r) => r.kind === kind && r.jitterMs === jitter);
      const f = rs.map((r) => r.firstBeatSpreadMs);
      const u = rs.map((r) => r.tenthBeatSpreadMs);
      return `| ${label[kind]} | ${jitter} | ${o.clients} | ${cell(f)} | ${cell(u)} |`;
    }),
  );
  return [
    `Metronome sync spread, ${o.trials} trials, median (worst) in ms; clock skew ±${o.maxSkewMs} ms, one-way delay ${o.minDelayMs}–${o.maxDelayMs} ms incl. jitter, asymmetry ≤ ${o.asymmetryMs} ms`,
    "",
    "| client | jitter (ms) | phones | first beat spread | 10th beat after update_temp spread |",
    "|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      clients: { type: "string" },
      trials: { type: "string" },
      "max-skew": { type: "string" },
      "min-delay": { type: "string" },
      "max-delay": { type: "string" },
      jitter: { type: "string" },
      asymmetry: { type: "string" },
      "sync-calls": { type: "string" },
      json: { type: "boolean" },
    },
  });
  const num = (v: string | undefined, d: number) => (v === undefined ? d : Number(v));
  const d = defaultSyncOptions;
  const o: SyncOptions = {
    ...d,
    clients: Math.min(200, Math.max(2, num(values.clients, d.clients))),
    trials: Math.min(10, Math.max(1, num(values.trials, d.trials))),
    maxSkewMs: num(values["max-skew"], d.maxSkewMs),
    minDelayMs: num(values["min-delay"], d.minDelayMs),
    maxDelayMs: num(values["max-delay"], d.maxDelayMs),
    jitters: values.jitter === undefined ? d.jitters : values.jitter.split(",").map(Number),
    asymmetryMs: num(values.asymmetry, d.asymmetryMs),
    syncCalls: Math.min(50, Math.max(2, num(values["sync-calls"], d.syncCalls))),
  };
  const results = await runMetronomeSync(o, (l) => console.error(l));
  console.log(values.json ? JSON.stringify({ options: o, results }) : syncTable(results, o));
}
