// README's options table is generated from the config schema; this fails when someone adds or
// changes an option without running `bun scripts/options-table.ts --write`.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { withCurrentTable } from "../../../scripts/options-table.ts";

test("README.md's options table matches the config schema", () => {
  const readme = readFileSync(join(import.meta.dir, "../../../README.md"), "utf8");
  expect(readme).toBe(withCurrentTable(readme));
});
