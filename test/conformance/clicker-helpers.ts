// Black-box helpers for the clicker conformance tests (PROTOCOLS.md §3): real sockets only,
// and a way to run the real server as a child process so it can be killed with SIGKILL.
import type { Subprocess } from "bun";
import { join } from "node:path";
import { TestClient } from "../helpers/ws-client.ts";

/** A REGISTERED reply as the contract spells it: 6-digit id, 128-bit lower-case hex secret. */
export const REGISTERED = /^REGISTERED (\d{6}) ([0-9a-f]{32})$/;

export interface Registration {
  id: string;
  secret: string;
}

/** Sends `REGISTER [secret]` (the frame as given) and parses the strict reply. */
export async function register(c: TestClient, frame = "REGISTER"): Promise<Registration> {
  c.send(frame);
  const reply = await c.next();
  const m = REGISTERED.exec(reply);
  if (!m) throw new Error(`unexpected reply to ${JSON.stringify(frame)}: ${JSON.stringify(reply)}`);
  return { id: m[1]!, secret: m[2]! };
}

/** Opens clients against one URL and closes them all at the end of a test. */
export class Pool {
  private readonly open: TestClient[] = [];
  constructor(private readonly url: () => string) {}
  async client(): Promise<TestClient> {
    const c = await TestClient.open(this.url());
    this.open.push(c);
    return c;
  }
  /** A connection that has sent LISTEN and consumed the CONNECT reply (checked exactly). */
  async listener(ids: string, expectedConnect: string): Promise<TestClient> {
    const c = await this.client();
    c.send(`LISTEN ${ids}`);
    const reply = await c.next();
    if (reply !== expectedConnect) throw new Error(`LISTEN ${ids}: expected ${JSON.stringify(expectedConnect)}, got ${JSON.stringify(reply)}`);
    return c;
  }
  closeAll(): void {
    for (const c of this.open.splice(0)) c.close();
  }
}

/** Reads `n` frames (each within the timeout). */
export async function take(c: TestClient, n: number, timeoutMs = 3000): Promise<string[]> {
  const out: string[] = [];
  while (out.length < n) out.push(await c.next(timeoutMs));
  return out;
}

const ROOT = join(import.meta.dir, "..", "..");

/** The real server, `bun src/main.ts --port 0 --data-dir X`, as a child process. */
export interface ChildServer {
  proc: Subprocess<"ignore", "ignore", "pipe">;
  port: number;
  ws: string;
  /** Resolves with the exit code (or the signal's negative number). */
  exited: Promise<number | null>;
}

export async function spawnServer(dataDir: string, extra: string[] = []): Promise<ChildServer> {
  const proc = Bun.spawn({
    cmd: [process.execPath, join(ROOT, "src", "main.ts"), "--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir, "--log-format", "json", ...extra],
    cwd: ROOT,
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  const reader = proc.stderr.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error("child server did not report its port: " + buf);
    }
    const { value, done } = await reader.read();
    if (done) throw new Error("child server exited before listening: " + buf);
    buf += decoder.decode(value, { stream: true });
    const m = /"msg":"listening".*?"port":(\d+)/.exec(buf);
    if (m) {
      // Keep draining stderr so the child never blocks on a full pipe.
      void (async () => {
        try {
          while (!(await reader.read()).done);
        } catch {}
      })();
      const port = Number(m[1]);
      return { proc, port, ws: `ws://127.0.0.1:${port}/ws`, exited: proc.exited };
    }
  }
}
