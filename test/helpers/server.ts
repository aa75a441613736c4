// Boots the real server on port 0 with a fresh data dir; every test cleans up after itself.
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaults, type Config } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import type { PageEntry } from "../../src/pages/registry.ts";
import type { ProtocolFactory } from "../../src/protocols/types.ts";
import { startServer, type RunningServer } from "../../src/server.ts";
import { tempDir } from "./temp.ts";
import { waitFor } from "./wait.ts";

export interface TestServer {
  server: RunningServer;
  port: number;
  http: string;
  ws(path: string): string;
  dataDir: string;
  /** Stop the server; keeps the data dir (for restart tests) unless `clean` is set. */
  stop(clean?: boolean): Promise<void>;
  /** HTTP requests the server is handling right now (a held long poll stays counted until answered). */
  pendingRequests(): number;
  /**
   * Resolves once at least `n` HTTP requests are held open by the server: read pendingRequests()
   * before sending a long poll, then wait for one more, and the poll has reached the server.
   */
  heldRequests(n: number): Promise<void>;
}

/** The operator token of every test server (docs/access.md#operator-rights). */
export const TEST_OPERATOR_TOKEN = "test-operator-token-0123456789abcdef";
/** Upgrade headers that give a WebSocket client operator rights on a test server. */
export const operatorHeaders = { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` };

/**
 * Tests drive buzzer receivers on pseudo-terminals (socat, the emulator), which a client may
 * connect only when the operator allows them: the default patterns plus ptys, input devices and
 * links in temp dirs.
 */
export const testPoolAllow = [...defaults().poolAllow, "/dev/pts/*", "/dev/input/event*", join(tmpdir(), "*", "*")];

export { tempDir } from "./temp.ts";

export async function bootServer(
  overrides: Partial<Config> = {},
  opts: { protocols?: ProtocolFactory[]; dataDir?: string; pages?: PageEntry[] } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? overrides.dataDir ?? tempDir();
  const config: Config = { ...defaults(), host: "127.0.0.1", port: 0, operatorToken: TEST_OPERATOR_TOKEN, ...overrides, dataDir };
  const log = createLogger({ level: process.env.TEST_LOG === "1" ? "debug" : "error", format: "text" });
  const server = await startServer({ config, log, protocols: opts.protocols, pages: opts.pages });
  const port = server.port;
  return {
    server,
    port,
    dataDir,
    http: `http://127.0.0.1:${port}`,
    ws: (path) => `ws://127.0.0.1:${port}${path}`,
    pendingRequests: () => server.ctx.transport.server?.pendingRequests ?? 0,
    heldRequests: (n) => waitFor(() => (server.ctx.transport.server?.pendingRequests ?? 0) >= n, { what: `${n} held HTTP request(s)` }),
    async stop(clean = true) {
      await server.stop();
      if (clean) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
