import { describe, expect, test } from "bun:test";
import { createLogger } from "../../../src/log.ts";

describe("logger", () => {
  test("JSON lines when not a terminal, with fields and child context", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "info", format: "auto", isTTY: false, write: (l) => lines.push(l) }).child({ protocol: "clicker" });
    log.debug("hidden");
    log.info("listening", { port: 8080 });
    log.error("boom", { err: new Error("bad") });
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!);
    expect(first).toMatchObject({ level: "info", msg: "listening", port: 8080, protocol: "clicker" });
    expect(typeof first.time).toBe("string");
    expect(JSON.parse(lines[1]!).err).toContain("Error: bad");
  });

  test("readable text on a terminal; level filter", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "warn", format: "auto", isTTY: true, write: (l) => lines.push(l) });
    log.info("no");
    log.warn("careful", { n: 1 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/WARN  careful n=1$/);
    expect(log.enabled("debug")).toBe(false);
  });
});
