// python-socketio (Debian's python3-socketio, in the system interpreter /usr/bin/python3 — the
// first python3 on PATH may be another one) driven as a subprocess running sio_peer.py.
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensure } from "../tools.ts";

const PY = "/usr/bin/python3";
const SCRIPT = join(import.meta.dir, "sio_peer.py");

/** Installs the Debian packages when the system interpreter cannot import them (never skips). */
export function ensurePythonSocketio(): void {
  const ready = () => Bun.spawnSync([PY, "-c", "import socketio, websocket, requests"]).exitCode === 0;
  ensure("python3-socketio", ready, ["python3", "python3-socketio", "python3-websocket", "python3-requests"]);
}

export interface PyEvent {
  event: string;
  data: any;
}

export class PyPeer {
  private readonly events: PyEvent[] = [];
  private wake: (() => void) | null = null;
  stderr = "";
  exited = false;

  private constructor(readonly proc: Subprocess<"ignore", "pipe", "pipe">) {
    void this.read(proc.stdout, (line) => {
      try {
        this.events.push(JSON.parse(line) as PyEvent);
      } catch {
        this.stderr += line + "\n";
      }
    });
    void this.read(proc.stderr, (line) => (this.stderr += line + "\n"));
    void proc.exited.then(() => {
      this.exited = true;
      this.wake?.();
    });
  }

  static start(args: { url: string; role: "monitor" | "user"; monitorId: string; transport: "default" | "websocket" | "polling"; count?: number; token?: string }): PyPeer {
    const argv = [PY, SCRIPT, args.url, args.role, args.monitorId, args.transport, String(args.count ?? 0), ...(args.token ? [args.token] : [])];
    const proc = Bun.spawn(argv, {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    return new PyPeer(proc);
  }

  private async read(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of stream) {
      rest += decoder.decode(chunk, { stream: true });
      let i: number;
      while ((i = rest.indexOf("\n")) >= 0) {
        const line = rest.slice(0, i);
        rest = rest.slice(i + 1);
        if (line) onLine(line);
        this.wake?.();
      }
    }
  }

  /** The data of the next `event` printed by the peer. */
  async next(event: string, timeoutMs = 10_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.events.findIndex((e) => e.event === event);
      if (i >= 0) return this.events.splice(i, 1)[0]!.data;
      const left = deadline - Date.now();
      if (left <= 0 || (this.exited && i < 0)) throw new Error(`python peer: no "${event}" (exited=${this.exited})\n${this.stderr}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  kill(): void {
    if (!this.exited) this.proc.kill("SIGKILL");
  }
}
