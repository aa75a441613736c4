// What every scenario hands back to the runner: a markdown section for docs/bench.md / README.
import { fmt, pct } from "./stats.ts";

export interface Section {
  title: string;
  lines: string[];
}

export interface Opts {
  reps: number;
  quick: boolean;
  ns?: number[];
  paths?: string[];
  durationS?: number;
}

export function table(head: string[], rows: (string | number)[][]): string[] {
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)];
}

/** Client CPU at or above this share of one core means the run measured the client. */
export const SATURATED = 0.9;

export function cpuNote(serverCpu: number, clientCpu: number, wall: number): string {
  const s = serverCpu / wall;
  const c = clientCpu / wall;
  return `server CPU ${pct(s)}, client CPU ${pct(c)}${c >= SATURATED ? " [CLIENT SATURATED]" : ""}`;
}

const t0 = performance.now();
/** A progress line on stderr, stamped with the seconds since the suite started. */
export function log(line: string): void {
  process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
}

/** Rotate a list so repetition r starts at a different element: A B C, B C A, C A B … */
export function rotate<T>(xs: T[], r: number): T[] {
  const k = xs.length ? r % xs.length : 0;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

export const ms = (x: number) => (Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : fmt(x, 1)) : "–");
export const ratio = (x: number) => (Number.isFinite(x) ? x.toFixed(2) + "×" : "–");
