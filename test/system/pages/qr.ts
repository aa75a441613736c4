// Decoding the QR codes a page shows, with Debian's zbarimg on a screenshot of the element:
// proof that a phone camera can read them, not only that an <svg> exists.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Locator } from "playwright-core";
import { ensureCommand } from "../../helpers/tools.ts";

export async function decodeQr(el: Locator): Promise<string> {
  ensureCommand("zbarimg", ["zbar-tools"]);
  const dir = mkdtempSync(join(tmpdir(), "switchboard-qr-"));
  try {
    const file = join(dir, "qr.png");
    await el.screenshot({ path: file, scale: "device" });
    const r = Bun.spawnSync(["zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable", file], { stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`zbarimg found no QR code (exit ${r.exitCode}): ${r.stderr.toString()}`);
    return r.stdout.toString().trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
