// The metronome sync spread (docs/metronome.md#measured-sync-accuracy), measured by
// scripts/bench/metronome-sync.ts; the suite only runs it and takes its table.
import { defaultSyncOptions, runMetronomeSync, syncTable } from "../metronome-sync.ts";
import { log, type Opts, type Section } from "../lib/report.ts";

export async function sync(o: Opts): Promise<Section> {
  const opts = { ...defaultSyncOptions, trials: o.quick ? 1 : Math.max(3, o.reps) };
  const results = await runMetronomeSync(opts, (l) => log("sync " + l));
  return {
    title: "Metronome sync spread",
    lines: [
      `\`scripts/bench/metronome-sync.ts\` (see docs/metronome.md): ${opts.clients} simulated phones with clock skew up to ±${opts.maxSkewMs} ms and one-way delays ${opts.minDelayMs}–${opts.maxDelayMs} ms; ` +
        `spread = max − min of the true instants at which the phones play the beat; median of ${opts.trials} trials (worst in brackets).`,
      "",
      ...syncTable(results, opts).split("\n"),
    ],
  };
}
