// Records scripts/bytecode-order.txt: which bytecode the compiled server uses from exec until it
// has served its first /healthz and idled for a second (the start-up the idle-RSS target is about).
// scripts/build.ts lays that bytecode out first. Run it again after large changes to start-up code:
//   bun scripts/record-bytecode-order.ts
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, bytecodeOrderFile, hostTarget } from "./build.ts";
import { startChild } from "./lib/spawn.ts";

const dir = mkdtempSync(join(tmpdir(), "switchboard-order-"));
try {
  const bin = join(dir, "switchboard");
  // Without the old order: the profile names functions, whatever their layout.
  const r = await build(hostTarget(), bin, { bytecodeOrder: false });
  if (!r.ok) throw new Error("build failed:\n" + r.output);
  const out = join(dir, "order.txt");
  const child = await startChild([bin, "--host", "127.0.0.1", "--port", "0", "--data-dir", join(dir, "data")], { cwd: dir, env: { BUN_BYTECODE_ORDER_OUT: out } });
  const res = await fetch(`http://127.0.0.1:${child.port}/healthz`);
  if (res.status !== 200) throw new Error(`/healthz answered ${res.status}`);
  await Bun.sleep(1000);
  await child.stop();
  const text = await Bun.file(out).text();
  if (!text.startsWith("v")) throw new Error("no bytecode order was written");
  await Bun.write(bytecodeOrderFile, text);
  console.log(`wrote ${bytecodeOrderFile} (${text.split("\n").length - 1} functions)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
