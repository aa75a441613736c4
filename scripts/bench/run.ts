// The benchmark suite (docs/bench.md). `npm run bench` runs every scenario; each one also runs alone:
//   bun scripts/bench/run.ts f1 --n 100          one scenario, one room size
//   bun scripts/bench/run.ts f1 m1 --reps 3      several scenarios
//   bun scripts/bench/run.ts --quick             short windows, for a smoke run while developing
// Progress (one line per run, with server and client CPU) goes to stderr; the markdown report
// (machine, command, tables) goes to stdout and, with --out FILE, to that file.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { machine, loadavg } from "./lib/proc.ts";
import { log, type Opts, type Section } from "./lib/report.ts";
import { f1 } from "./scenarios/f1.ts";
import { m1, startup } from "./scenarios/memory.ts";
import { s1 } from "./scenarios/stall.ts";
import { sync } from "./scenarios/sync.ts";
import { m2 } from "./scenarios/churn.ts";
import { f2 } from "./scenarios/f2.ts";
import { f3 } from "./scenarios/f3.ts";
import { f4 } from "./scenarios/f4.ts";
import { quiz } from "./scenarios/quiz.ts";
import { x1 } from "./scenarios/x1.ts";
import { x2 } from "./scenarios/x2.ts";
import { r1 } from "./scenarios/flood.ts";

type Scenario = (o: Opts) => Promise<Section>;
export const scenarios: Record<string, Scenario> = { f1, f2, f3, f4, m1, m2, r1, s1, startup, sync, quiz, x1, x2 };

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      reps: { type: "string" },
      n: { type: "string", multiple: true },
      paths: { type: "string" },
      duration: { type: "string" },
      quick: { type: "boolean" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(`usage: bun scripts/bench/run.ts [${Object.keys(scenarios).join("|")} …] [--reps 3] [--n 100 --n 1000] [--paths raw,clicker] [--duration S] [--quick] [--out FILE]`);
    return 0;
  }
  const names = positionals.length ? positionals.map((p) => p.toLowerCase()) : Object.keys(scenarios);
  const unknown = names.filter((n) => !scenarios[n]);
  if (unknown.length) {
    console.error(`unknown scenario ${unknown.join(", ")}; known: ${Object.keys(scenarios).join(", ")}`);
    return 2;
  }
  const o: Opts = {
    reps: Number(values.reps ?? 3),
    quick: values.quick ?? false,
    ns: values.n?.flatMap((s) => s.split(",")).map(Number),
    paths: values.paths?.split(","),
    durationS: values.duration ? Number(values.duration) : undefined,
  };
  const m = machine();
  const started = new Date();
  const t0 = performance.now();
  const sections: Section[] = [];
  let failed = 0;
  for (const name of names) {
    log(`== ${name} (load average ${loadavg()})`);
    const s0 = performance.now();
    try {
      sections.push(await scenarios[name]!(o));
      log(`== ${name} took ${((performance.now() - s0) / 1000).toFixed(0)} s`);
    } catch (err) {
      failed++;
      log(`${name} FAILED: ${(err as Error).stack ?? err}`);
      sections.push({ title: name, lines: [`FAILED: ${(err as Error).message.split("\n")[0]}`] });
    }
  }
  const mins = ((performance.now() - t0) / 60000).toFixed(1);
  const out = [
    `Command: \`bun scripts/bench/run.ts ${process.argv.slice(2).join(" ")}\`${process.argv.length <= 2 ? " (= `npm run bench`)" : ""}, ${started.toISOString()}, ${mins} min.`,
    "",
    `Machine: ${m.nproc} × ${m.cpu}, ${m.memory} RAM, Linux ${m.kernel}, Bun ${m.bun}, Node ${m.node}; load average at the end ${loadavg()}.`,
    "",
    ...sections.flatMap((s) => [`### ${s.title}`, "", ...s.lines, ""]),
  ].join("\n");
  console.log(out);
  if (values.out) writeFileSync(values.out, out);
  return failed ? 1 : 0;
}

if (import.meta.main) process.exit(await main());
