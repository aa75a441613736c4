// The operator token when none is configured: generated on first start and kept in the data dir,
// readable by the server's user only, so the console URL stays the same across restarts.
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomSecret } from "./secret.ts";

export const TOKEN_FILE = "operator-token";

/** The token kept in dataDir, created if missing. `created` tells whether this start made it. */
export function keptOperatorToken(dataDir: string): { token: string; created: boolean; path: string } {
  const path = join(dataDir, TOKEN_FILE);
  try {
    const token = readFileSync(path, "utf8").trim();
    if (token) return { token, created: false, path };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const token = randomSecret();
  // "wx": never overwrite a token another process wrote meanwhile; mode 0600 from the start.
  try {
    writeFileSync(path, token + "\n", { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return keptOperatorToken(dataDir);
    throw err;
  }
  chmodSync(path, 0o600);
  return { token, created: true, path };
}
