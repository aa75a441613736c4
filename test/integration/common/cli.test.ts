// The CLI entry from source: exit codes and output of --help, --print-config, invalid config.
import { describe, expect, test } from "bun:test";

const run = (args: string[], env: Record<string, string> = {}) =>
  Bun.spawnSync([process.execPath, "src/main.ts", ...args], { cwd: `${import.meta.dir}/../../..`, env: { PATH: process.env.PATH ?? "", ...env } });

describe("cli", () => {
  test("--help exits 0 and documents env names", () => {
    const r = run(["--help"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toContain("SWITCHBOARD_PORT");
  });

  test("--print-config shows env and flags applied", () => {
    const r = run(["--print-config", "--port", "9999"], { SWITCHBOARD_LOG_LEVEL: "warn" });
    expect(r.exitCode).toBe(0);
    const c = JSON.parse(r.stdout.toString());
    expect(c.port).toBe(9999);
    expect(c.logLevel).toBe("warn");
  });

  test("--print-config never prints secrets", () => {
    const r = run(["--print-config", "--jwt-secret", "hunter2-hunter2"], { SWITCHBOARD_SIO_TOKEN: "tok-123" });
    expect(r.exitCode).toBe(0);
    const out = r.stdout.toString();
    expect(out).not.toContain("hunter2");
    expect(out).not.toContain("tok-123");
    const c = JSON.parse(out);
    expect(c.jwtSecret).toBe("(set)");
    expect(c.sioToken).toBe("(set)");
    expect(JSON.parse(run(["--print-config"]).stdout.toString()).jwtSecret).toBe("");
  });

  test("invalid configuration prints what is wrong and exits 2", () => {
    const r = run([], { SWITCHBOARD_PORT: "-1" });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString()).toContain("SWITCHBOARD_PORT");
  });
});
