// The buzzer mediator's part of the operator status feed (docs/pages.md#the-status-feed): each
// pool's link state and buzzers with their names, and the devices a connect may open. Pure.
import { STATUS_LIST_MAX, type BuzzerStatus, type PoolStatus } from "../../pages/lib/status-types.ts";
import type { Clock } from "../../transport/types.ts";
import type { Mediator } from "./state.ts";

/** The device list reads folders (/dev/serial/by-id, the --pool-allow patterns): at most this often. */
export const AVAILABLE_EVERY_MS = 2000;

export interface BuzzerStatusDeps {
  mediator: Mediator;
  clock: Pick<Clock, "mono">;
  /** A buzzer's name in the quiz, when the game gives it one. */
  nameOf?(pool: string, buzzer: number): string | null;
}

export function buzzerStatus(d: BuzzerStatusDeps): () => BuzzerStatus {
  let available: string[] = [];
  let readAt = -Infinity;
  return () => {
    const now = d.clock.mono();
    if (now - readAt >= AVAILABLE_EVERY_MS) {
      available = d.mediator.available();
      readAt = now;
    }
    const views = d.mediator.poolViews();
    const pools: PoolStatus[] = views.slice(0, STATUS_LIST_MAX).map((v) => ({
      pool: v.id,
      kind: v.kind,
      state: v.up ? "connected" : v.kept ? "down" : "connecting",
      configured: v.configured,
      colors: v.colors,
      buzzers: v.buzzers.map((b) => ({ buzzer: b, name: d.nameOf?.(v.id, b) ?? null })),
    }));
    // Open pools are always listed, also between two readings of the folders.
    const all = [...new Set([...available, ...views.map((v) => v.id)])].sort();
    return { pools, connected_count: views.filter((v) => v.up).length, available: all.slice(0, STATUS_LIST_MAX) };
  };
}
