// Runs Switchboard as a real child process (from source or the compiled binary) and reads the
// port it reports: for the tests of the CLI, signals and start-up errors, and for tests that kill
// the server with SIGKILL.
import type { Subprocess } from "bun";
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

/** The real server from source, `bun src/main.ts --port 0 --data-dir X`, as a child process. */
export interface ChildServer {
  proc: Subprocess;
  port: number;
  /** Its clicker endpoint. */
  ws: string;
  /** Resolves with the exit code (or the signal's negative number). */
  exited: Promise<number | null>;
}

export async function spawnServer(dataDir: string, extra: string[] = []): Promise<ChildServer> {
  const cmd = fromSource(["--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir, "--log-format", "json", ...extra]);
  const { proc, port } = await startServerChild(cmd, { cwd: root });
  return { proc, port, ws: `ws://127.0.0.1:${port}/ws`, exited: proc.exited };
}
