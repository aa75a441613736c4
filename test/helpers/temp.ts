// Fresh temporary directories for tests (data dirs, device links, build output). Kept apart from
// server.ts so that unit tests can have one without loading the server.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function tempDir(prefix = "switchboard-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
