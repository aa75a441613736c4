// M1 idle memory (RSS per idle connection at 5k and 10k, spread over the endpoints) and
// start-up (compiled binary: exec → first 200 on /healthz, and its idle RSS).
// Targets: ≤ 3.5 KiB per connection; start-up < 50 ms; idle RSS < 40 MB.
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, hostTarget } from "../../build.ts";
import type { IdleArgs, IdleResult } from "../loadgen-idle.ts";
import { freePort, rssKiB } from "../lib/proc.ts";
import { log, ratio, rotate, table, type Opts, type Section } from "../lib/report.ts";
import { root, startServer, type ServerKind } from "../lib/servers.ts";
import { runJson } from "../../lib/spawn.ts";
import { fmt, median } from "../lib/stats.ts";
import { idlePaths } from "../protocol-paths.ts";

const loadgen = join(import.meta.dir, "..", "loadgen-idle.ts");
/** Connections a warm run opens and closes before it reads RSS_0 (spread over the endpoints like the rest). */
const WARM = 100;

export async function m1(o: Opts): Promise<Section> {
  const steps = o.ns ?? (o.quick ? [1000, 2000] : [5000, 10000]);
  const sbPaths = idlePaths.length ? idlePaths : [{ path: "/bench?room=idle" }];
  const variants: { label: string; kind: ServerKind; paths: IdleArgs["paths"] }[] = [
    { label: "B0 (Bun.serve)", kind: "b0", paths: [{ path: "/?room=idle" }] },
    { label: "B1 (Node + ws)", kind: "b1", paths: [{ path: "/?room=idle" }] },
    { label: "Switchboard", kind: "switchboard", paths: sbPaths },
  ];
  // Cold: RSS_0 of a fresh server, so what it does once on first use (load the Socket.IO layer,
  // compile its hot paths) is divided among the N connections. Warm: WARM connections are opened
  // and closed first; the constant is then in RSS_0 and the figure is the cost per connection.
  // B1 only cold: Node + ws loads nothing on first use, and its 10k connections are the slowest
  // step of the suite.
  const modes = [
    { mode: "cold", warm: 0 },
    { mode: "warm", warm: WARM },
  ];
  const modesOf = (kind: ServerKind) => (kind === "b1" ? modes.slice(0, 1) : modes);
  const res = new Map<string, IdleResult[]>();
  for (let rep = 0; rep < o.reps; rep++)
    for (const v of rotate(variants, rep))
      for (const { mode, warm } of modesOf(v.kind)) {
        const srv = await startServer(v.kind);
        try {
          const args: IdleArgs = { port: srv.port, pid: srv.pid, paths: v.paths, steps, settleMs: o.quick ? 500 : 1000, warm };
          const r = await runJson<IdleResult>([process.execPath, loadgen, JSON.stringify(args)], 180_000);
          log(`M1 rep ${rep + 1}/${o.reps} ${v.label} ${mode}: RSS0 ${fmt(r.rss0 / 1024)} MiB, ` + r.steps.map((s) => `${s.n} idle → ${fmt(s.rss / 1024)} MiB (${s.perConnKiB.toFixed(2)} KiB/conn, opened in ${Math.round(s.openMs)} ms)`).join(", "));
          res.set(`${v.label}|${mode}`, [...(res.get(`${v.label}|${mode}`) ?? []), r]);
        } finally {
          await srv.stop();
        }
      }
  const rows = variants.flatMap((v) =>
    modesOf(v.kind).flatMap(({ mode }) =>
      steps.map((n, i) => {
        const rs = res.get(`${v.label}|${mode}`) ?? [];
        const per = median(rs.map((r) => r.steps[i]!.perConnKiB));
        // The target is in KB (10³ bytes); RSS is read in KiB.
        const kb = (per * 1024) / 1000;
        const target = v.kind !== "switchboard" ? "" : kb <= 3.5 ? "✓ ≤ 3.5 KB" : `✗ ${ratio(kb / 3.5)} the target`;
        return [v.label, mode, String(n), fmt(median(rs.map((r) => r.rss0 / 1024))), fmt(median(rs.map((r) => r.steps[i]!.rss / 1024))), per.toFixed(2), kb.toFixed(2), target];
      }),
    ),
  );
  // Where the bytes go: each endpoint alone, once, at the first step's size.
  const per: string[][] = [];
  for (const p of [{ path: "/bench?room=idle" }, ...(idlePaths.length ? idlePaths : [])]) {
    const srv = await startServer("switchboard");
    try {
      const args: IdleArgs = { port: srv.port, pid: srv.pid, paths: [p], steps: [steps[0]!], settleMs: o.quick ? 500 : 1000 };
      const r = await runJson<IdleResult>([process.execPath, loadgen, JSON.stringify(args)], 120_000);
      log(`M1 ${p.path} alone: ${r.steps[0]!.perConnKiB.toFixed(2)} KiB/conn at ${steps[0]}`);
      per.push(["`" + p.path + "`", r.steps[0]!.perConnKiB.toFixed(2)]);
    } finally {
      await srv.stop();
    }
  }
  return {
    title: "M1 idle memory",
    lines: [
      `Idle WebSocket connections opened in steps; Switchboard's spread round-robin over ${sbPaths.map((p) => "`" + p.path + "`" + (p.setup ? ` (after ${p.setup.map((f) => "`" + f + "`").join(", ")})` : "")).join(", ")}. ` +
        `RSS per connection = (RSS_N − RSS_0) / N, read from /proc after ${o.quick ? 0.5 : 1} s of quiet; medians of ${o.reps} alternated repetitions. ` +
        `*Cold*: RSS_0 is a fresh server's, so whatever a server does once, on the first connections (load a module, compile its hot paths), is divided among the N. ` +
        `*Warm*: ${WARM} connections were opened and closed before RSS_0 was read, so that constant is in RSS_0 and the figure is what each further connection costs.`,
      "",
      ...table(["server", "RSS₀", "connections", "RSS₀ MiB", "RSS MiB", "KiB / connection", "KB / connection", "target (≤ 3.5 KB)"], rows),
      "",
      `Switchboard, one endpoint at a time (${steps[0]} idle connections, one run; \`/bench\` is the seam without a protocol):`,
      "",
      ...table(["endpoint", "KiB / connection"], per),
    ],
  };
}

/** Build dist/switchboard unless it is newer than every source file. */
export async function ensureBinary(): Promise<string> {
  const bin = join(root, "dist", "switchboard");
  const newest = (dir: string): number => {
    let t = 0;
    for (const f of new Bun.Glob("**/*.{ts,css,html,svg}").scanSync({ cwd: dir })) t = Math.max(t, statSync(join(dir, f)).mtimeMs);
    return t;
  };
  if (!existsSync(bin) || statSync(bin).mtimeMs < newest(join(root, "src"))) {
    const r = await build(hostTarget(), bin);
    if (!r.ok) throw new Error("build failed:\n" + r.output);
  }
  return bin;
}

export async function startup(o: Opts): Promise<Section> {
  const bin = await ensureBinary();
  const runs = o.quick ? 3 : Math.max(5, o.reps + 2);
  const times: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "switchboard-startup-"));
    const t0 = performance.now();
    const proc = Bun.spawn([bin, "--host", "127.0.0.1", "--port", String(port), "--data-dir", join(dir, "data"), "--log-level", "warn"], { cwd: dir, stdout: "ignore", stderr: "ignore" });
    let ms = NaN;
    try {
      const deadline = t0 + 10_000;
      while (performance.now() < deadline) {
        const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status === 200, () => false);
        if (ok) {
          ms = performance.now() - t0;
          break;
        }
        await Bun.sleep(1);
      }
      await Bun.sleep(1000);
      rss.push(rssKiB(proc.pid) / 1024);
      times.push(ms);
      log(`start-up ${i + 1}/${runs}: first 200 on /healthz after ${ms.toFixed(1)} ms, idle RSS ${(rss.at(-1) ?? NaN).toFixed(1)} MiB`);
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const t = median(times);
  const r = median(rss);
  const mb = (r * 1048576) / 1e6;
  return {
    title: "Start-up",
    lines: [
      `Compiled binary (\`bun scripts/build.ts\`, ${fmt(statSync(bin).size / 1048576)} MiB), spawned with a fresh data dir; /healthz polled every ~1 ms from the runner; median of ${runs} starts.`,
      "",
      ...table(
        ["measure", "median", "min – max", "target"],
        [
          ["exec → first 200 on /healthz", `${t.toFixed(1)} ms`, `${Math.min(...times).toFixed(1)} – ${Math.max(...times).toFixed(1)} ms`, t < 50 ? "✓ < 50 ms" : `✗ ${ratio(t / 50)} the target`],
          // The target is in MB (10⁶ bytes); RSS is read in KiB.
          ["idle RSS 1 s after start", `${r.toFixed(1)} MiB (${mb.toFixed(1)} MB)`, `${Math.min(...rss).toFixed(1)} – ${Math.max(...rss).toFixed(1)} MiB`, mb < 40 ? "✓ < 40 MB" : `✗ ${ratio(mb / 40)} the target`],
        ],
      ),
    ],
  };
}
