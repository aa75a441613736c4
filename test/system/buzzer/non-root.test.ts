// The serial driver as a service account runs it (docs/buzzer.md#devices): a terminal with
// TIOCEXCL refuses other opens with EBUSY unless the caller is root, and a pty's tty keeps the
// flag after the last close. As root none of this shows, so the driver is run here as nobody.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ensureCommand } from "../../helpers/tools.ts";

const script = join(import.meta.dir, "..", "..", "fixtures", "serial-non-root.ts");

async function runAsNobody(): Promise<{ uid: number; second: string; reopen: string }> {
  const root = process.getuid?.() === 0;
  if (root) ensureCommand("setpriv", ["util-linux"]);
  const cmd = root ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, script] : [process.execPath, script];
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", env: { ...process.env, HOME: "/tmp" } });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`exit ${code}: ${err}`);
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

describe("the serial driver as an ordinary user", () => {
  test("a second open is refused as in use; after a close the port opens again", async () => {
    const r = await runAsNobody();
    expect(r.uid).not.toBe(0);
    expect(r.second).toMatch(/already in use by another program/);
    expect(r.reopen).toBe("opened");
  }, 20_000);
});
