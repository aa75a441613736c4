// F3: per incoming message cost (parse, validate, route, deliver to one subscriber) in machine
// instructions, counted by `valgrind --tool=callgrind` — a repeatable figure for regressions,
// unlike CPU time on a noisy box. The server runs under callgrind; after a warm-up (so the JIT
// has compiled the hot path) the counters are dumped with callgrind_control, then each of K
// batches of M messages is followed by a dump: Ir / M of a batch is the cost of one message,
// with start-up and connection set-up left out (the server idles between batches: a few
// thousand instructions in all). The median of the K batches is reported with their range.
// Bun runs under valgrind 3.19 with its JIT on: valgrind warns once about syscall 441
// (epoll_pwait2), which Bun then does without, and everything else works.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RoomClients, sleep } from "../lib/room.ts";
import { log, ratio, table, type Opts, type Section } from "../lib/report.ts";
import { benchFlags, root } from "../lib/servers.ts";
import { startChild, type Child } from "../../lib/spawn.ts";
import { fmt, median } from "../lib/stats.ts";
import { getPath } from "../paths.ts";
import { candidates } from "./f1.ts";

function irOfLastDump(dir: string, pid: number): number {
  const parts = readdirSync(dir)
    .filter((f) => f.startsWith(`cg.${pid}.`))
    .map((f) => Number(f.slice(`cg.${pid}.`.length)))
    .sort((a, b) => a - b);
  const text = readFileSync(join(dir, `cg.${pid}.${parts.at(-1)}`), "latin1");
  const m = /^(?:summary|totals): (\d+)/m.exec(text);
  if (!m) throw new Error("no totals in callgrind dump");
  return Number(m[1]);
}

function dump(pid: number): void {
  const r = Bun.spawnSync(["callgrind_control", "--dump", String(pid)]);
  if (r.exitCode !== 0) throw new Error("callgrind_control failed: " + r.stderr.toString());
}

async function batch(rc: RoomClients, m: number): Promise<void> {
  const target = rc.delivered() + m * rc.n;
  for (let i = 0; i < m; i++) rc.publish();
  const end = performance.now() + 120_000;
  while (rc.delivered() < target) {
    if (performance.now() > end) throw new Error(`only ${rc.delivered() - target + m * rc.n} of ${m * rc.n} deliveries under valgrind`);
    await sleep(20);
  }
  await sleep(200);
}

/** Instructions per message for each path, measured on one server process under callgrind. */
async function measure(srv: Child, dir: string, paths: string[], m: number, reps: number): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const p of paths) {
    const rc = await RoomClients.open(srv.port, p, `f3${p}`, 1, 0);
    await batch(rc, 2 * m);
    dump(srv.pid);
    for (let r = 0; r < reps; r++) {
      await batch(rc, m);
      dump(srv.pid);
      out.set(p, [...(out.get(p) ?? []), irOfLastDump(dir, srv.pid) / m]);
    }
    rc.close();
    await sleep(300);
    log(`F3 ${p}: ${out.get(p)!.map((x) => fmt(x)).join(", ")} instructions per message`);
  }
  return out;
}

export async function f3(o: Opts): Promise<Section> {
  if (Bun.spawnSync(["which", "valgrind"]).exitCode !== 0) {
    const apt = Bun.spawnSync(["apt-get", "install", "-y", "valgrind"], { stdout: "ignore", stderr: "ignore" });
    if (apt.exitCode !== 0) return { title: "F3 instructions per message", lines: ["valgrind is not installed and `apt-get install valgrind` failed: not measured."] };
  }
  const m = o.quick ? 500 : 1000;
  const reps = 3;
  const dir = mkdtempSync(join(tmpdir(), "switchboard-callgrind-"));
  const vg = ["valgrind", "--tool=callgrind", `--callgrind-out-file=${join(dir, "cg.%p")}`];
  const sbPaths = candidates.map((c) => c.path).filter((p) => (!o.paths || o.paths.includes(p)) && !getPath(p).noCallgrind);
  const skipped = candidates.map((c) => getPath(c.path)).filter((p) => p.noCallgrind);
  const results = new Map<string, number[]>();
  const data = join(dir, "data");
  try {
    for (const [cmd, paths] of [
      [[...vg, process.execPath, join(root, "scripts/bench/servers/b0-bun.ts")], ["b0"]],
      [[...vg, process.execPath, join(root, "scripts/bench/servers/switchboard.ts"), ...benchFlags, "--data-dir", data], sbPaths],
    ] as const) {
      const srv = await startChild([...cmd], { cwd: root, timeoutMs: 180_000 });
      try {
        for (const [k, v] of await measure(srv, dir, [...paths], m, reps)) results.set(k, v);
      } finally {
        await srv.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const b0 = median(results.get("b0") ?? []);
  const rows = [...results].map(([p, xs]) => [p === "b0" ? "B0 (Bun.serve + server.publish)" : getPath(p).what, fmt(median(xs)), `${fmt(Math.min(...xs))} – ${fmt(Math.max(...xs))}`, ratio(median(xs) / b0)]);
  return {
    title: "F3 instructions per message",
    lines: [
      `One publisher, one subscriber; per path a warm-up of ${2 * m} messages, then ${reps} batches of ${m}: Ir of the batch / ${m}, median and range. ` +
        "Counted with `valgrind --tool=callgrind` on the whole server process (every thread, JIT on). Includes receiving, parsing, validating, routing and writing the one delivery.",
      "",
      ...table(["path", "instructions / message", "min – max", "× B0"], rows),
      ...skipped.map((p) => `\nNot measured: ${p.what} (${p.noCallgrind}).`),
    ],
  };
}
