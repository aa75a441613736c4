// Starting servers as child processes and learning the port they report (benchmarks, the
// smoke and process tests), and running load generators to completion.
// Every server announces its port as a JSON line carrying "port" on stdout or stderr (the bench
// servers print {"port":N}; src/main.ts's "listening" log line carries it too), so nothing here
// needs a fixed port.
import type { Subprocess } from "bun";

export interface Child {
  pid: number;
  port: number;
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Everything the child printed so far (kept short). */
  output(): string;
  stop(): Promise<number | null>;
}

const MAX_LOG = 64 * 1024;

/** Spawn cmd and wait (up to timeoutMs) for a JSON line with a numeric "port". */
export async function startChild(
  cmd: string[],
  opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number; /** env is the whole environment */ cleanEnv?: boolean } = {},
): Promise<Child> {
  const proc = Bun.spawn(cmd, {
    cwd: opts.cwd,
    env: opts.cleanEnv ? opts.env : { ...process.env, ...opts.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let log = "";
  let resolvePort!: (p: number) => void;
  const portSeen = new Promise<number>((r) => (resolvePort = r));
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    let line = "";
    for await (const chunk of stream) {
      const text = dec.decode(chunk, { stream: true });
      if (log.length < MAX_LOG) log += text;
      line += text;
      let nl: number;
      while ((nl = line.indexOf("\n")) >= 0) {
        const l = line.slice(0, nl);
        line = line.slice(nl + 1);
        if (l.startsWith("{") && l.includes('"port"')) {
          try {
            const j = JSON.parse(l) as { port?: unknown };
            if (typeof j.port === "number" && j.port > 0) resolvePort(j.port);
          } catch {}
        }
      }
    }
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  const timeoutMs = opts.timeoutMs ?? 15_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const port = await Promise.race([
    portSeen,
    proc.exited.then((code) => Promise.reject(new Error(`${cmd.join(" ")} exited ${code} before listening:\n${log}`))),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${cmd.join(" ")} did not report a port in ${timeoutMs} ms:\n${log}`)), timeoutMs))),
  ]).finally(() => clearTimeout(timer));
  return {
    pid: proc.pid,
    port,
    proc,
    output: () => log,
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
      const code = await proc.exited;
      clearTimeout(t);
      return code;
    },
  };
}

/** Run a load-generator child to completion; it prints one JSON result line last on stdout. */
export async function runJson<T>(cmd: string[], timeoutMs: number, env?: Record<string, string>): Promise<T> {
  const proc = Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  const last = out.trim().split("\n").pop() ?? "";
  if (code !== 0 || !last.startsWith("{")) throw new Error(`${cmd.slice(0, 3).join(" ")} … failed (exit ${code}):\n${err.slice(-4000)}\n${out.slice(-2000)}`);
  return JSON.parse(last) as T;
}

/** Read a child's text output until `until` holds for what was read; throws if it ends first. */
export async function readUntil(reader: { read(): Promise<{ done: boolean; value?: string }> }, until: (text: string) => boolean, what: string): Promise<string> {
  let text = "";
  while (!until(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${what} exited early:\n${text}`);
    text += value;
  }
  return text;
}
