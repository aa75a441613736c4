// Tests that need a system tool install it from Debian's packages when the host lacks it; they
// never skip. One place for the apt-get call, so every test that needs a tool gets the same
// behaviour whichever of them happens to run first.

/** Runs apt-get update + install; throws with apt's output when that fails. */
export function aptInstall(packages: string[]): void {
  const r = Bun.spawnSync(["sh", "-c", `apt-get update -qq && apt-get install -y -qq --no-install-recommends ${packages.join(" ")}`], {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    stdout: "pipe",
    stderr: "pipe",
  });
  if (r.exitCode !== 0) throw new Error(`cannot install ${packages.join(", ")}:\n${r.stdout}${r.stderr}`);
}

/** Installs `packages` unless `ready()` already holds, then checks that it does. */
export function ensure(what: string, ready: () => boolean, packages: string[]): void {
  if (ready()) return;
  aptInstall(packages);
  if (!ready()) throw new Error(`${what} is still missing after installing ${packages.join(", ")}`);
}

/** An executable on PATH, from the given Debian packages (default: a package of the same name). */
export function ensureCommand(command: string, packages: string[] = [command]): void {
  ensure(command, () => Bun.which(command) !== null, packages);
}
