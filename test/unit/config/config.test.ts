import { describe, expect, test } from "bun:test";
import { defaults, helpText, loadConfig, printable } from "../../../src/config.ts";

describe("config", () => {
  test("defaults", () => {
    const r = loadConfig([], {});
    expect(r.kind).toBe("run");
    if (r.kind !== "run") return;
    expect(r.config).toEqual(defaults());
    expect(r.config.port).toBe(8080);
    expect(r.config.host).toBe("0.0.0.0");
    expect(r.config.dataDir).toBe("./switchboard-data");
    expect(r.config.maxFrameBytes).toBe(65536);
    expect(r.config.rateLimit).toBe(200);
    expect(r.config.rateBurst).toBe(400);
    expect(r.config.rateQueue).toBe(5000);
  });

  test("env overrides defaults; flags override env", () => {
    const r = loadConfig(["--port", "9000"], { SWITCHBOARD_PORT: "7000", SWITCHBOARD_LOG_LEVEL: "debug", SWITCHBOARD_POOL: "/dev/a, /dev/b" });
    if (r.kind !== "run") throw new Error(JSON.stringify(r));
    expect(r.config.port).toBe(9000);
    expect(r.config.logLevel).toBe("debug");
    expect(r.config.pool).toEqual(["/dev/a", "/dev/b"]);
  });

  test("repeatable flags", () => {
    const r = loadConfig(["--pool", "/dev/ttyACM0", "--pool", "/dev/input/event3", "--cors-origin", "https://a.example"], {});
    if (r.kind !== "run") throw new Error(JSON.stringify(r));
    expect(r.config.pool).toEqual(["/dev/ttyACM0", "/dev/input/event3"]);
    expect(r.config.corsOrigin).toEqual(["https://a.example"]);
  });

  test("invalid values name the flag or variable and what is wrong", () => {
    const r = loadConfig(["--port", "70000", "--log-level", "loud"], { SWITCHBOARD_RATE_LIMIT: "fast" });
    expect(r.kind).toBe("invalid");
    if (r.kind !== "invalid") return;
    const all = r.errors.join("\n");
    expect(all).toContain("--port");
    expect(all).toContain("--log-level");
    expect(all).toContain("SWITCHBOARD_RATE_LIMIT");
  });

  test("an idle timeout not longer than the ping interval is refused, naming where each came from", () => {
    const r = loadConfig(["--ping-interval-ms", "5000"], { SWITCHBOARD_IDLE_TIMEOUT_MS: "5000" });
    expect(r.kind).toBe("invalid");
    if (r.kind !== "invalid") return;
    expect(r.errors).toEqual(["SWITCHBOARD_IDLE_TIMEOUT_MS (5000) must be longer than --ping-interval-ms (5000)"]);
    expect(loadConfig(["--ping-interval-ms", "5000", "--idle-timeout-ms", "5001"], {}).kind).toBe("run");
  });

  test("unknown flags are refused", () => {
    const r = loadConfig(["--prot", "1"], {});
    expect(r.kind).toBe("invalid");
  });

  test("--help lists every option with its env name; --print-config and --version", () => {
    expect(loadConfig(["--help"], {}).kind).toBe("help");
    const help = helpText();
    for (const k of Object.keys(defaults())) {
      const flag = "--" + k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
      expect(help).toContain(flag);
    }
    expect(help).toContain("SWITCHBOARD_JWT_SECRET");
    expect(loadConfig(["--print-config", "--port", "1"], {}).kind).toBe("print");
    expect(loadConfig(["--version"], {}).kind).toBe("version");
  });

  test("a secret given as a flag is warned about, naming its env variable and file option; env and files are not", () => {
    const r = loadConfig(["--jwt-secret", "s3cret", "--operator-token", "t0ken"], {});
    expect(r.kind).toBe("run");
    if (r.kind !== "run") return;
    expect(r.warnings).toEqual([
      "--operator-token is visible to every local user in /proc/<pid>/cmdline; set SWITCHBOARD_OPERATOR_TOKEN or --operator-token-file instead",
      "--jwt-secret is visible to every local user in /proc/<pid>/cmdline; set SWITCHBOARD_JWT_SECRET or --jwt-secret-file instead",
    ]);
    for (const w of r.warnings) expect(w).not.toMatch(/s3cret|t0ken/);
    const env = loadConfig([], { SWITCHBOARD_JWT_SECRET: "s3cret" });
    expect(env.kind === "run" && env.warnings).toEqual([]);
  });

  test("--x-file reads the secret from a file (a trailing newline dropped); unreadable, empty or doubly given is an error", () => {
    const files: Record<string, string> = { "/run/jwt": "from-file\n", "/run/empty": "\n" };
    const read = (p: string) => {
      if (!(p in files)) throw Object.assign(new Error("nope"), { code: "ENOENT" });
      return files[p]!;
    };
    const ok = loadConfig(["--jwt-secret-file", "/run/jwt"], {}, read);
    expect(ok.kind === "run" && ok.config.jwtSecret).toBe("from-file");
    expect(ok.kind === "run" && ok.warnings).toEqual([]);
    const fromEnv = loadConfig([], { SWITCHBOARD_OPERATOR_TOKEN_FILE: "/run/jwt" }, read);
    expect(fromEnv.kind === "run" && fromEnv.config.operatorToken).toBe("from-file");
    expect(loadConfig(["--jwt-secret-file", "/run/none"], {}, read)).toEqual({ kind: "invalid", errors: ["--jwt-secret-file: cannot read '/run/none' (ENOENT)"] });
    expect(loadConfig(["--jwt-secret-file", "/run/empty"], {}, read)).toEqual({ kind: "invalid", errors: ["--jwt-secret-file: '/run/empty' is empty"] });
    const both = loadConfig(["--jwt-secret-file", "/run/jwt"], { SWITCHBOARD_JWT_SECRET: "x" }, read);
    expect(both).toEqual({ kind: "invalid", errors: ["SWITCHBOARD_JWT_SECRET and --jwt-secret-file: give the value or a file, not both"] });
  });

  test("--print-config never shows a secret, whichever way it came", () => {
    const r = loadConfig(["--print-config", "--jwt-secret-file", "/run/jwt"], { SWITCHBOARD_OPERATOR_TOKEN: "t0ken" }, () => "s3cret");
    expect(r.kind).toBe("print");
    if (r.kind !== "print") return;
    const shown = JSON.stringify(printable(r.config));
    expect(shown).not.toMatch(/s3cret|t0ken/);
    expect(printable(r.config)).toMatchObject({ jwtSecret: "(set)", operatorToken: "(set)", sioToken: "" });
  });
});
