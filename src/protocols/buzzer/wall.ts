// Several nodes (docs/cluster.md#buzzer): every time a /mediator client sees is its node's own
// monotonic clock (docs/buzzer.md#events), and the nodes' monotonic clocks have nothing in common.
// Between nodes a time travels as wall-clock time (the nodes' wall clocks are kept in step by
// NTP): the sender adds its offset (wall − monotonic), the receiver takes its own off. Pure.
import type { Clock } from "../../transport/types.ts";

/** How long the best offset sample is trusted before a lower one replaces it (a wall clock set back). */
const KEEP_MS = 1000;

/**
 * This node's wall − monotonic offset. Date.now() is whole milliseconds, truncated, so one
 * sample is up to 1 ms below the true offset; the largest sample of the last second is within a
 * small fraction of it. A wall clock stepped forward counts at once, one stepped back after a second.
 */
export class WallClock {
  private best = -Infinity;
  private bestAt = -Infinity;

  constructor(private readonly clock: Pick<Clock, "now" | "mono">) {}

  offset(): number {
    const mono = this.clock.mono();
    const sample = this.clock.now() - mono;
    if (sample >= this.best || mono - this.bestAt >= KEEP_MS) {
      this.best = sample;
      this.bestAt = mono;
    }
    return this.best;
  }

  /** A monotonic instant of this node as wall-clock ms. */
  wall(mono: number): number {
    return mono + this.offset();
  }

  /** A wall-clock instant as this node's monotonic ms. */
  mono(wall: number): number {
    return wall - this.offset();
  }
}

const us = (ms: number) => Math.round(ms * 1000) / 1000;

const shift = (o: unknown, delta: number) => {
  const x = o as { ts?: unknown } | null;
  if (x && typeof x.ts === "number") x.ts = us(x.ts + delta);
};

/**
 * A /mediator frame made on another node, in this node's clock: its times moved by `delta` (the
 * sender's offset minus this node's). The times of the protocol's frames are `ts` at the top, in
 * `order` entries and in `first` (docs/buzzer.md#the-game); a frame without one is returned as is.
 */
export function retime(frame: string, delta: number): string {
  if (!frame.includes('"ts"')) return frame;
  const m = JSON.parse(frame) as { order?: unknown; first?: unknown };
  shift(m, delta);
  if (Array.isArray(m.order)) for (const e of m.order) shift(e, delta);
  shift(m.first, delta);
  return JSON.stringify(m);
}
