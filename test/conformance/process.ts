// Runs Switchboard as a real child process (from source or the compiled binary) and reads the
// port it reports, for the tests of the CLI, signals and start-up errors.
import { join } from "node:path";

const root = join(import.meta.dir, "../..");

export interface Child {
  proc: ReturnType<typeof Bun.spawn>;
  port: number;
  /** Everything written to stderr so far (kept draining so the child never blocks). */
  stderr(): string;
}

export const fromSource = (args: string[]): string[] => [process.execPath, join(root, "src/main.ts"), ...args];

/** Start the server and wait for its "listening" log line. */
export async function startChild(cmd: string[], cwd: string): Promise<Child> {
  const proc = Bun.spawn(cmd, { cwd, env: { PATH: "/usr/bin:/bin" }, stdout: "pipe", stderr: "pipe" });
  let err = "";
  let port = 0;
  const reader = (proc.stderr as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const deadline = Date.now() + 10_000;
  while (!port && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    err += decoder.decode(value);
    for (const line of err.split("\n")) {
      try {
        const j = JSON.parse(line);
        if (j.msg === "listening") port = j.port;
      } catch {}
    }
  }
  if (!port) {
    proc.kill("SIGKILL");
    throw new Error("the server did not report a port:\n" + err);
  }
  (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      err += decoder.decode(value);
    }
  })();
  return { proc, port, stderr: () => err };
}

/** Run to completion with a time bound; returns exit code and output. */
export async function runToExit(cmd: string[], cwd: string, timeoutMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = Bun.spawn(cmd, { cwd, env: { PATH: "/usr/bin:/bin" }, stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout as ReadableStream).text(), new Response(proc.stderr as ReadableStream).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}
