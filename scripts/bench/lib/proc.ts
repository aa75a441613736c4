// Process-level measurements from /proc, and child-process plumbing shared by the scenarios.
// Server CPU is read from /proc/<pid>/stat (utime+stime: every thread of the process,
// docs/bench.md#method), so a server that pushes work to helper threads pays for it too.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, release } from "node:os";

/** Kernel clock ticks per second (USER_HZ); 100 on every Linux ABI Bun targets. */
const CLK_TCK = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;

/** CPU seconds (user + system, all threads) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  // The command name may contain spaces and parentheses: fields start after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Resident set size in KiB (VmRSS from /proc/<pid>/status). */
export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "latin1"));
  return m ? Number(m[1]) : NaN;
}

/** This process's CPU seconds (user + system), for the load generator's own figure. */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** A CPU-time window: start() then stop() gives seconds of CPU and of wall clock. Several pids: the servers of a cluster, summed. */
export function cpuWindow(pid: number | number[]) {
  const pids = Array.isArray(pid) ? pid : [pid];
  const server = () => pids.reduce((sum, p) => sum + cpuSeconds(p), 0);
  const c0 = server();
  const s0 = selfCpuSeconds();
  const t0 = performance.now();
  return () => {
    const wall = (performance.now() - t0) / 1000;
    return { wall, server: server() - c0, client: selfCpuSeconds() - s0 };
  };
}

/** A port nobody listens on right now (for children that must be told their port up front). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export function machine(): Record<string, string> {
  const cpuinfo = readFileSync("/proc/cpuinfo", "latin1");
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? "unknown";
  const node = Bun.spawnSync(["node", "--version"]).stdout.toString().trim() || "not found";
  const mem = /MemTotal:\s+(\d+) kB/.exec(readFileSync("/proc/meminfo", "latin1"))?.[1];
  return {
    nproc: String(cpus().length),
    cpu: model.trim(),
    memory: mem ? `${Math.round(Number(mem) / 1024 / 1024)} GiB` : "unknown",
    kernel: release(),
    bun: Bun.version,
    node,
  };
}

/** Load average over the last minute: printed with every run so a busy machine is visible. */
export function loadavg(): number {
  return Number(readFileSync("/proc/loadavg", "latin1").split(" ")[0]);
}
