// Prints the README's table of flags and environment variables from the config schema,
// so the docs cannot drift from the code: bun scripts/options-table.ts
import { optionTable } from "../src/config.ts";

console.log("| flag | environment | default | meaning |\n|---|---|---|---|");
for (const o of optionTable()) console.log(`| \`${o.flag}\` | \`${o.env}\` | \`${JSON.stringify(o.default)}\` | ${o.description} |`);
