// Quiz night (docs/bench.md#quiz-night): press → board latency and phone ordering accuracy,
// measured by scripts/bench/quiz.ts; the suite runs it and takes its tables.
import { defaultQuizOptions, quizTable, runQuizBench } from "../quiz.ts";
import { log, type Opts, type Section } from "../lib/report.ts";

export async function quiz(o: Opts): Promise<Section> {
  const opts = { ...defaultQuizOptions, ...(o.quick ? { presses: 20, trials: 10 } : {}) };
  const r = await runQuizBench(opts, (l) => log(l));
  return { title: "Quiz night", lines: ["`scripts/bench/quiz.ts` (see docs/buzzer.md#fairness-and-its-limits).", "", ...quizTable(r, opts)] };
}
