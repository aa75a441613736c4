// The servers under test. Each start() spawns a fresh process and resolves once it listens.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startChild, type Child } from "../../lib/spawn.ts";

export const root = join(import.meta.dir, "..", "..", "..");
const here = join(import.meta.dir, "..", "servers");

export interface Running extends Child {
  kind: ServerKind;
}
export type ServerKind = "b0" | "b1" | "b2" | "switchboard";

/**
 * Flags every Switchboard run gets: the per-connection rate limit (50/s by default, a protection
 * for real deployments) would otherwise throttle the one publisher of a saturated benchmark.
 */
// The buzzer path connects the emulator's pseudo-terminal as a client would (the operator allows ptys);
// every load comes from 127.0.0.1, so the per-address caps (connections, Socket.IO sessions) are off.
export const benchFlags = ["--host", "127.0.0.1", "--port", "0", "--rate-limit", "1000000", "--rate-burst", "1000000", "--log-level", "warn", "--log-format", "json", "--pool-allow", "/dev/pts/*", "--max-conns-per-ip", "0", "--sio-sessions-per-ip", "0"];

export async function startServer(kind: ServerKind, extra: string[] = [], env: Record<string, string> = {}): Promise<Running> {
  let cmd: string[];
  let dataDir: string | null = null;
  if (kind === "b0") cmd = [process.execPath, join(here, "b0-bun.ts")];
  else if (kind === "b1") cmd = ["node", join(here, "b1-node-ws.mjs")];
  else if (kind === "b2") cmd = ["node", join(here, "b2-socketio.mjs")];
  else {
    dataDir = mkdtempSync(join(tmpdir(), "switchboard-bench-"));
    cmd = [process.execPath, join(here, "switchboard.ts"), ...benchFlags, "--data-dir", dataDir, ...extra];
  }
  const child = await startChild(cmd, { cwd: root, env });
  return {
    ...child,
    kind,
    async stop() {
      const code = await child.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}
