// Runs Switchboard as a real child process (from source or the compiled binary) and reads the
// port it reports, for the tests of the CLI, signals and start-up errors.
import { join } from "node:path";
import { startChild as startServerChild } from "../../scripts/lib/spawn.ts";

const root = join(import.meta.dir, "../..");

export interface Child {
  proc: ReturnType<typeof Bun.spawn>;
  port: number;
  /** Everything written to stderr so far (kept draining so the child never blocks). */
  stderr(): string;
}

export const fromSource = (args: string[]): string[] => [process.execPath, join(root, "src/main.ts"), ...args];

/** Start the server and wait for the port of its "listening" log line. */
export async function startChild(cmd: string[], cwd: string): Promise<Child> {
  const c = await startServerChild(cmd, { cwd, env: { PATH: "/usr/bin:/bin" }, cleanEnv: true, timeoutMs: 10_000 });
  return { proc: c.proc, port: c.port, stderr: c.output };
}

/** Run to completion with a time bound; returns exit code and output. */
export async function runToExit(cmd: string[], cwd: string, timeoutMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = Bun.spawn(cmd, { cwd, env: { PATH: "/usr/bin:/bin" }, stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout as ReadableStream).text(), new Response(proc.stderr as ReadableStream).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}
