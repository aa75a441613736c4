// Compiles Switchboard to one self-contained executable.
//   bun scripts/build.ts          → dist/switchboard (this machine's OS, CPU and libc)
//   bun scripts/build.ts --all    → dist/switchboard-linux-{x64,arm64}{,-musl}
// Cross targets need Bun's runtime for that target, which `bun build` fetches from the npm
// registry on first use; when that fails this script says which target and why, builds the
// others, and exits 1.
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";

export const targets = ["linux-x64", "linux-x64-musl", "linux-arm64", "linux-arm64-musl"] as const;

export function hostTarget(): string {
  const arch = process.arch === "arm64" ? "arm64" : "x64";
  // The libc this very process runs on: a glibc machine may have musl's loader installed too
  // (e.g. to run the musl builds), and a binary for the wrong libc does not start.
  const musl = existsSync("/proc/self/maps") ? /\/ld-musl-|\/libc\.musl-/.test(readFileSync("/proc/self/maps", "utf8")) : existsSync("/lib") && readdirSync("/lib").some((f) => f.startsWith("ld-musl-"));
  return `linux-${arch}${musl ? "-musl" : ""}`;
}

/**
 * Which bytecode an idle server's start-up uses, recorded by scripts/record-bytecode-order.ts.
 * The build lays that bytecode out together at the front, so a start touches fewer pages of the
 * executable (docs/bench.md, start-up: ~1.2 MiB less RSS). A stale file still applies to what has
 * not changed; functions it does not know are laid out after it.
 */
export const bytecodeOrderFile = `${import.meta.dir}/bytecode-order.txt`;

export function build(target: string, outfile: string, opts: { bytecodeOrder?: boolean } = {}): { ok: boolean; output: string } {
  const order = opts.bytecodeOrder !== false && existsSync(bytecodeOrderFile) ? [`--bytecode-order=${bytecodeOrderFile}`] : [];
  const r = Bun.spawnSync(
    // --bytecode: the executable ships JavaScriptCore bytecode, so start-up skips parsing
    // (measured: exec → first 200 on /healthz 69 ms → 37 ms). It needs --format=esm for main.ts's
    // top-level await.
    // The executable must behave the same in any folder: it does not pick up a .env or a
    // bunfig.toml from where it happens to be started (configuration is flags and SWITCHBOARD_*).
    // --compile-jit-policy=10: start-up code (schema building, config parsing, route compilation)
    // runs once; with the normal tier-up thresholds the JIT compiled ~40 of its functions and its
    // compilers and their output stayed resident in an idle server (~2.3 MiB of start-up RSS).
    // src/main.ts restores the normal policy once the server listens.
    [
      process.execPath, "build", "--compile", "--minify", "--bytecode", "--format=esm",
      "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig", "--compile-jit-policy=10", ...order,
      `--target=bun-${target}`, "src/main.ts", "--outfile", outfile,
    ],
    { cwd: `${import.meta.dir}/..`, stdout: "pipe", stderr: "pipe" },
  );
  return { ok: r.exitCode === 0, output: (r.stdout.toString() + r.stderr.toString()).trim() };
}

if (import.meta.main) {
  mkdirSync(`${import.meta.dir}/../dist`, { recursive: true });
  const all = process.argv.includes("--all");
  const jobs = all ? targets.map((t) => [t, `dist/switchboard-${t}`] as const) : [[hostTarget(), "dist/switchboard"] as const];
  const failed: string[] = [];
  for (const [target, out] of jobs) {
    const t0 = performance.now();
    const r = build(target, out);
    if (r.ok) {
      console.log(`built ${out} (bun-${target}) in ${Math.round(performance.now() - t0)} ms`);
    } else {
      failed.push(target);
      console.error(`FAILED ${out} (bun-${target}):\n${r.output}\n` + (target === hostTarget() ? "" : `  (cross targets need the bun-${target} runtime from the npm registry; is it reachable?)`));
    }
  }
  if (failed.length) {
    console.error(`\n${failed.length} of ${jobs.length} targets failed: ${failed.join(", ")}`);
    process.exit(1);
  }
}
