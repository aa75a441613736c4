// CLI entry: flags/env → config → start → graceful stop. The only file that exits the process.
import pkg from "../package.json" with { type: "json" };
import { loadConfig, printable } from "./config.ts";
import { createLogger } from "./log.ts";
import { StartupError, startServer } from "./server.ts";

const result = loadConfig(process.argv.slice(2), process.env);
switch (result.kind) {
  case "help":
    console.log(result.text);
    process.exit(0);
  case "version":
    console.log(`switchboard ${pkg.version} (bun ${Bun.version})`);
    process.exit(0);
  case "print":
    console.log(JSON.stringify(printable(result.config), null, 2));
    process.exit(0);
  case "invalid":
    console.error("switchboard: invalid configuration:\n" + result.errors.map((e) => "  " + e).join("\n") + "\nRun with --help for the options.");
    process.exit(2);
}

const config = result.config;
const log = createLogger({ level: config.logLevel, format: config.logFormat });
for (const w of result.warnings) log.warn(w);
let server;
try {
  server = await startServer({ config, log });
} catch (err) {
  // An operator's problem (port taken, data dir not writable) is one readable line; a bug keeps its stack.
  if (err instanceof StartupError) log.error(`could not start: ${err.message}`);
  else log.error("could not start", { err: err as Error });
  process.exit(1);
}
log.info("listening", { version: pkg.version, host: server.hostname, port: server.port, dataDir: config.dataDir });
// Like a notebook server's login URL: opening it in a browser gives that browser operator rights.
log.info("operator console", { url: server.consoleUrl });
// The compiled binary starts with the JIT's tier-up thresholds raised (scripts/build.ts,
// --compile-jit-policy): schema building, config parsing and route compilation run once, and
// compiling them to machine code kept the JIT's compilers and output resident in an idle server
// (its memory at start: docs/bench.md#start-up). Serving is hot code: from here on the normal policy applies.
Bun.unsafe.setJITPolicy(1);

let shuttingDown = false;
const shutdown = (signal: string) => {
  if (shuttingDown) return;
  shuttingDown = true;
  log.info("shutting down", { signal });
  // The contract is exit 0 within 5 s; whatever still hangs after 4.5 s is cut off.
  setTimeout(() => {
    log.warn("shutdown took too long; exiting");
    process.exit(0);
  }, 4500).unref();
  server.stop().then(
    () => {
      log.info("stopped");
      process.exit(0);
    },
    (err) => {
      log.error("error while stopping", { err });
      process.exit(0);
    },
  );
};
process.on("SIGHUP", () => {
  if (!config.tlsCert) return log.info("SIGHUP: nothing to reload (no --tls-cert)");
  try {
    server.reloadTls();
    log.info("TLS certificate reloaded", { cert: config.tlsCert });
  } catch (err) {
    log.error(err instanceof StartupError ? err.message : "TLS reload failed", err instanceof StartupError ? {} : { err: err as Error });
  }
});
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
