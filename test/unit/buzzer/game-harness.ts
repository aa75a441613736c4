// A game on a fake clock for the game tests (docs/buzzer.md#the-game): events parsed as they are
// published, and clocks whose timers stall or fire early.
import { Game, MemoryNameStore, type NameStore } from "../../../src/protocols/buzzer/game.ts";
import type { Clock } from "../../../src/transport/types.ts";
import { FakeClock } from "../../helpers/fakes.ts";

export const P = "/dev/ttyACM0";
export const K = "/dev/input/event3";

/** Timers that never fire stand for a busy event loop; early ones for a timer against a finer clock. */
export const stalled = (c: FakeClock): Clock => ({ now: () => c.now(), mono: () => c.mono(), setTimer: () => () => {} });
export const early = (c: FakeClock): Clock => ({ now: () => c.now(), mono: () => c.mono(), setTimer: (ms, fn) => c.setTimer(Math.max(0, ms - 0.5), fn) });

export function setup(opts: { settleMs?: number; falseStartMs?: number; names?: NameStore; timers?: (c: FakeClock) => Clock } = {}) {
  const clock = new FakeClock(1_700_000_000_000, 1000);
  const frames: any[] = [];
  const names = opts.names ?? new MemoryNameStore();
  const game = new Game({
    clock: opts.timers ? opts.timers(clock) : clock,
    publish: (f) => frames.push(JSON.parse(f)),
    settleMs: opts.settleMs ?? 150,
    falseStartMs: opts.falseStartMs ?? 250,
    names,
  });
  /** Events published so far, then forget them. */
  const take = () => frames.splice(0);
  const now = () => clock.mono();
  return { clock, game, take, now, names };
}

export const kinds = (fs: any[]) => fs.map((f) => f.event);
