// Switchboard as the benchmarks run it: the real server (src/server.ts) with every protocol of
// src/protocols/index.ts, plus the bench-only raw fan-out endpoint at /bench. Takes the same
// flags and environment as src/main.ts and prints {"port":N} once listening.
import { loadConfig } from "../../../src/config.ts";
import { createLogger } from "../../../src/log.ts";
import { protocols } from "../../../src/protocols/index.ts";
import { startServer } from "../../../src/server.ts";
import { benchFanout } from "./fanout-protocol.ts";

const result = loadConfig(process.argv.slice(2), process.env);
if (result.kind !== "run") {
  console.error("bench switchboard: bad arguments", result);
  process.exit(2);
}
const log = createLogger({ level: result.config.logLevel, format: "json" });
const server = await startServer({ config: result.config, log, protocols: [...protocols, benchFanout] });
console.log(JSON.stringify({ port: server.port }));
const stop = () => void server.stop().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
