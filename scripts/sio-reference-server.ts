// The Socket.IO layer alone, configured as the server the published Socket.IO v5 protocol test
// suite (socketio/socket.io-protocol, test-suite) talks to:
//   bun scripts/sio-reference-server.ts PORT
// pingInterval 300, pingTimeout 200, maxPayload 1000000; namespaces "/" and "/custom"; on
// connection it emits "auth" with the handshake's auth object (AUTH_DELAY_MS later, see below);
// "message" is answered with "message-back" and the same arguments; "message-with-ack" is
// acknowledged with them; "emit-with-ack" (a variant of the suite) is emitted back with an ack
// request, and the client's ack arguments come back as "emit-with-ack"; any other namespace is
// refused with {"message":"Invalid namespace"}.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaults, type Config } from "../src/config.ts";
import { createLogger } from "../src/log.ts";
import { mountSocketIO } from "../src/socketio/mount.ts";
import type { ProtocolFactory } from "../src/protocols/types.ts";
import { startServer } from "../src/server.ts";

/**
 * The suite reads frames one at a time: it waits for the CONNECT reply, then registers a listener
 * for the "auth" event. Its ws client (8.17+) delivers every frame of one TCP read in the same
 * tick, so an "auth" frame written together with the CONNECT reply can reach the client before
 * that second listener exists, and the suite then waits forever. Sending "auth" a moment later
 * puts it in a read of its own; the order of frames is unchanged.
 */
export const AUTH_DELAY_MS = 20;

/** The suite's server is socket.io without connection state recovery: no pid, no offsets. */
export const referenceConfig: Partial<Config> = { sioPingIntervalMs: 300, sioPingTimeoutMs: 200, sioMaxPayload: 1_000_000, sioRecoveryMs: 0 };

export const referenceProtocol: ProtocolFactory = (ctx) => {
  const mounted = mountSocketIO(ctx);
  for (const name of ["/", "/custom"]) {
    mounted.io.of(name).onConnection((socket) => {
      setTimeout(() => socket.emit("auth", socket.auth), AUTH_DELAY_MS); // a no-op once disconnected
      socket.on("message", (args) => socket.emit("message-back", ...args));
      socket.on("message-with-ack", (args, ack) => ack?.(...args));
      socket.on("emit-with-ack", (args) => socket.emit("emit-with-ack", ...args, (...answer: unknown[]) => socket.emit("emit-with-ack", ...answer)));
    });
  }
  return { name: "sio-reference", routes: mounted.routes, stop: mounted.stop };
};

if (import.meta.main) {
  const port = Number(process.argv[2] ?? "3000");
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error("usage: bun scripts/sio-reference-server.ts PORT");
    process.exit(2);
  }
  const dataDir = mkdtempSync(join(tmpdir(), "sio-reference-"));
  const config: Config = { ...defaults(), ...referenceConfig, host: process.env.SWITCHBOARD_HOST ?? "127.0.0.1", port, dataDir };
  const log = createLogger({ level: "info", format: "text" });
  const server = await startServer({ config, log, protocols: [referenceProtocol] });
  log.info("socket.io reference server listening", { port: server.port });
  const stop = async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
