// Soak (docs/bench.md#soak): thousands of connections over every endpoint for minutes, steady
// traffic on every protocol and a steady churn of connects and disconnects, against the real
// server (`bun src/main.ts`, or --binary) in its own process, with a buzzer receiver emulator in a
// third. Every message carries a counter its receiver checks (lost, duplicated, reordered must all
// be 0); the server's RSS is sampled every second and fitted with a line; latency per protocol.
//
//   bun scripts/bench/soak.ts                         10 minutes, 5000 connections, 50 churn/s
//   bun scripts/bench/soak.ts --minutes 2 --out s.md   a shorter run, the report also to a file
//   bun scripts/bench/soak.ts --seconds 20 --connections 500 --json   what the harness test runs
//
// Progress goes to stderr; the markdown report to stdout (--json: one JSON line instead). Exit
// status 1 when anything was lost, duplicated, reordered or otherwise went wrong.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { readUntil, startChild, type Child } from "../lib/spawn.ts";
import { cpuWindow, loadavg, rssKiB } from "./lib/proc.ts";
import { log } from "./lib/report.ts";
import { slopePerMin } from "./lib/seq.ts";
import { Ws } from "./lib/wsclient.ts";
import { BuzzerDriver } from "./soak/buzzer.ts";
import { ClickerDriver } from "./soak/clicker.ts";
import type { Driver } from "./soak/common.ts";
import { MetronomeDriver } from "./soak/metronome.ts";
import { PartyDriver } from "./soak/party.ts";
import { markdown, protocolResult, type SoakResult } from "./soak/report.ts";
import { SioDriver } from "./soak/sio.ts";

const root = join(import.meta.dir, "..", "..");

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    minutes: { type: "string", default: "10" },
    seconds: { type: "string" },
    connections: { type: "string", default: "5000" },
    churn: { type: "string", default: "50" },
    warmup: { type: "string" },
    binary: { type: "string" },
    out: { type: "string" },
    "server-log": { type: "string" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log("usage: bun scripts/bench/soak.ts [--minutes 10 | --seconds S] [--connections 5000] [--churn 50] [--warmup S] [--binary PATH] [--out FILE] [--server-log FILE] [--json]");
  process.exit(0);
}
const seconds = values.seconds ? Number(values.seconds) : Number(values.minutes) * 60;
const connections = Number(values.connections);
const churnRate = Number(values.churn);
const warmupS = values.warmup ? Number(values.warmup) : Math.min(60, Math.round(seconds / 10));
if (!(seconds > 0 && connections >= 50 && churnRate >= 0)) throw new Error("soak: --seconds/--minutes > 0, --connections ≥ 50, --churn ≥ 0");

const dir = mkdtempSync(join(tmpdir(), "switchboard-soak-"));
const ids = Array.from({ length: 255 }, (_, i) => i).join(",");

/** The receiver emulator, in its own process; `buzz N` lines on its stdin press buzzer N. */
async function startEmulator() {
  const emu = Bun.spawn([process.execPath, join(root, "scripts", "buzzer-emulator.ts"), "--buzzers", ids, "--link", join(dir, "ttyBUZZ")], { stdin: "pipe", stdout: "pipe", stderr: "ignore" });
  const reader = emu.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const path = (await readUntil(reader, (t) => t.includes("\n"), "the buzzer emulator")).trim();
  // The emulator stands in for a receiver board, which never waits for a CPU: on a busy machine
  // a starved emulator (stalls of 150–220 ms measured at nice 0 and -10) misses the mediator's
  // 250 ms watchdog and the link resets. Real-time priority keeps it answering (it sleeps between
  // 5 ms polls, so it takes nothing from the others); without root it runs as it is.
  if (Bun.spawnSync(["chrt", "-f", "-p", "10", String(emu.pid)], { stdout: "ignore", stderr: "ignore" }).exitCode !== 0)
    Bun.spawnSync(["renice", "-n", "-10", "-p", String(emu.pid)], { stdout: "ignore", stderr: "ignore" });
  return { emu, path };
}

/** The server, with the flags this version has: every connection comes from 127.0.0.1. */
async function startSwitchboard(pool: string): Promise<Child> {
  const cmd = values.binary ? [values.binary] : [process.execPath, join(root, "src", "main.ts")];
  const help = Bun.spawnSync([...cmd, "--help"], { cwd: root }).stdout.toString();
  const flags = ["--host", "127.0.0.1", "--port", "0", "--data-dir", join(dir, "data"), "--log-level", "info", "--log-format", "json", "--pool", pool];
  if (help.includes("--max-conns-per-ip")) flags.push("--max-conns-per-ip", "0");
  if (help.includes("--sio-sessions-per-ip")) flags.push("--sio-sessions-per-ip", "0");
  return startChild([...cmd, ...flags], { cwd: root, timeoutMs: 30_000 });
}

/** Until the mediator has the emulator's pool connected with its 255 buzzers. */
async function poolUp(port: number): Promise<void> {
  const ws = await Ws.open(`ws://127.0.0.1:${port}/mediator`);
  try {
    for (let i = 0; i < 100; i++) {
      const r = await ws.call(JSON.stringify({ list: "buzzers" }), (t) => t.includes('"buzzers"'));
      if (r.includes(",254]")) return;
      await Bun.sleep(100);
    }
    throw new Error("soak: the buzzer pool did not come up");
  } finally {
    ws.close();
  }
}

async function health(port: number): Promise<Record<string, number>> {
  const r = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { connections: Record<string, number> };
  return r.connections;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

async function main(): Promise<SoakResult> {
  const { emu, path } = await startEmulator();
  const srv = await startSwitchboard(path);
  const stopAll = async () => {
    const code = await srv.stop();
    emu.kill();
    await emu.exited;
    return code;
  };
  try {
    await poolUp(srv.port);
    const press = (id: number) => {
      emu.stdin.write(`buzz ${id}\n`);
      emu.stdin.flush();
    };
    const share = Math.floor(connections / 5);
    const drivers: Driver[] = [
      new MetronomeDriver(srv.port),
      new PartyDriver(srv.port),
      new ClickerDriver(srv.port),
      new SioDriver(srv.port),
      new BuzzerDriver(srv.port, press),
    ];
    const t0 = performance.now();
    for (const d of drivers) {
      await d.setup(d === drivers[4] ? connections - 4 * share : share);
      log(`soak: ${d.name} ready, ${d.live()} connections`);
    }
    log(`soak: ${drivers.reduce((n, d) => n + d.live(), 0)} connections in ${((performance.now() - t0) / 1000).toFixed(1)} s; load for ${seconds} s`);
    const setupConnects = drivers.map((d) => d.t.connects);

    // Traffic: every driver's due sends, every 20 ms.
    const traffic = setInterval(() => {
      const now = performance.now();
      for (const d of drivers) d.tick(now);
    }, 20);
    // Churn: `churnRate` per second (one disconnect + one connect each), round robin over the
    // protocols, every other one without a close frame; never more than 2 s of them in flight.
    // Owed by the clock, not by the ticks: a timer that fires late must not lower the rate.
    const churnStart = performance.now();
    let issued = 0;
    let k = 0;
    let inflight = 0;
    let failed = 0;
    let skipped = 0;
    const churn = setInterval(() => {
      const owed = Math.floor((churnRate * (performance.now() - churnStart)) / 1000) - issued;
      for (let i = 0; i < owed; i++) {
        issued++;
        if (inflight >= 2 * churnRate) {
          skipped++;
          continue;
        }
        const d = drivers[k % drivers.length]!;
        const abort = Math.floor(k / drivers.length) % 2 === 1;
        k++;
        inflight++;
        d.churn(abort).then(
          () => inflight--,
          (err: Error) => {
            inflight--;
            failed++;
            d.t.fault(`churn: ${err.message.split("\n")[0]}`);
          },
        );
      }
    }, 100);

    const rss: { t: number; y: number }[] = [];
    const cpu = cpuWindow(srv.pid);
    const start = performance.now();
    let serverConnections: Record<string, number> = {};
    for (let s = 1; s <= seconds; s++) {
      await sleep(start + s * 1000 - performance.now());
      rss.push({ t: s, y: rssKiB(srv.pid) / 1024 });
      if (s % 10 === 0 || s === seconds) {
        serverConnections = await health(srv.port);
        const sum = (f: (d: Driver) => number) => drivers.reduce((n, d) => n + f(d), 0);
        log(
          `soak ${s}/${seconds} s: ${Object.values(serverConnections).reduce((a, b) => a + b, 0)} connections, churn ${sum((d) => d.t.disconnects)} done (${inflight} in flight), ` +
            `${sum((d) => d.t.received)} checked, lost ${sum((d) => d.t.lost)} dup ${sum((d) => d.t.duplicated)} reordered ${sum((d) => d.t.reordered)} faults ${sum((d) => d.t.faultCount)}, RSS ${rss.at(-1)!.y.toFixed(1)} MiB`,
        );
      }
    }
    const used = cpu();
    clearInterval(churn);
    for (let i = 0; i < 200 && inflight > 0; i++) await sleep(50);
    clearInterval(traffic);
    for (const d of drivers) d.stop();
    await sleep(3000); // everything in flight arrives
    for (const d of drivers) d.finish();
    const protocols = drivers.map(protocolResult);
    for (const [i, p] of protocols.entries()) {
      p.connects -= setupConnects[i]!;
    }
    for (const d of drivers) d.close();
    await sleep(3000);
    const afterMiB = rssKiB(srv.pid) / 1024;
    const serverExit = await stopAll();
    // What the server warned about (a link reset, a slow client dropped …) explains a fault.
    if (values["server-log"]) writeFileSync(values["server-log"], srv.output());
    const warnings = srv.output().split("\n").filter((l) => /"level":"(warn|error)"/.test(l));
    for (const w of warnings.slice(0, 20)) log(`server: ${w}`);
    if (warnings.length > 20) log(`server: … ${warnings.length - 20} more warnings`);

    const after = rss.filter((p) => p.t > warmupS);
    const floors: { t: number; y: number }[] = [];
    for (let i = 0; i + 30 <= after.length; i += 30) floors.push({ t: after[i + 15]!.t, y: Math.min(...after.slice(i, i + 30).map((p) => p.y)) });
    const ys = after.map((p) => p.y);
    const connects = protocols.reduce((n, p) => n + p.connects, 0);
    const result: SoakResult = {
      seconds,
      warmupS,
      target: { connections, churnPerS: churnRate },
      serverConnections,
      churn: { connects, disconnects: protocols.reduce((n, p) => n + p.disconnects, 0), perS: connects / seconds, failed, skipped },
      rss: {
        startMiB: after[0]?.y ?? NaN,
        endMiB: after.at(-1)?.y ?? NaN,
        minMiB: Math.min(...ys),
        maxMiB: Math.max(...ys),
        slopeMiBPerMin: slopePerMin(after),
        floorSlopeMiBPerMin: slopePerMin(floors),
        afterMiB,
      },
      cpu: { server: used.server / used.wall, client: used.client / used.wall },
      loadavg: loadavg(),
      serverExit,
      protocols,
      ok: false,
    };
    result.ok = serverExit === 0 && failed === 0 && protocols.every((p) => p.lost === 0 && p.duplicated === 0 && p.reordered === 0 && Object.keys(p.faults).length === 0 && p.received > 0);
    return result;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

try {
  const r = await main();
  const command = `bun scripts/bench/soak.ts ${process.argv.slice(2).join(" ")}`.trim();
  const md = markdown(r, command).join("\n");
  if (values.out) writeFileSync(values.out, md + "\n");
  if (values.json) console.log(JSON.stringify(r));
  else console.log(md);
  log(`soak: ${r.ok ? "every message arrived once and in order" : "FAILED: see the table"}`);
  process.exitCode = r.ok ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit();
