// The clicker's part of the operator status feed (docs/pages.md#the-status-feed): every device
// connected now or with a score stored since local midnight, its latest score and its scores of
// today. Online state and the newest scores come from the relay; the day's counts from the
// database worker, asked again only when a live sender's newest score (or the set of live
// senders, or the day) has changed since the last answer: scores are only ever stored for a
// live sender. No secret appears here.
import { STATUS_LIST_MAX, type ClickerDeviceStatus, type ClickerStatus } from "../../pages/lib/status-types.ts";
import type { Clock } from "../../transport/types.ts";
import type { ScoreRecord } from "./store.ts";
import type { Activity } from "./today.ts";

export interface ClickerStatusDeps {
  liveSenders(): Iterable<{ id: string; latest: ScoreRecord | null }>;
  listenerCount(): number;
  /** The database worker's ScoresToday.activity. */
  activity(since: number, ids: string[]): Promise<Activity[]>;
  clock: Pick<Clock, "now" | "setTimer">;
  /** How long a snapshot waits for the database before it shows the last answer (ms). */
  waitMs?: number;
  onError?(err: unknown): void;
}

/** Local midnight of the day `now` (Unix ms) falls in, in the server's time zone. */
export function localMidnight(now: number): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

const sameKey = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const scoreOf = (r: { ts: bigint; score: bigint } | null | undefined) => (r ? { ts: Number(r.ts), score: Number(r.score) } : null);

export function clickerStatus(d: ClickerStatusDeps): () => Promise<ClickerStatus> {
  let answer: { since: number; key: unknown[]; rows: Map<string, Activity> } | null = null;
  let asking: Promise<void> | null = null;

  const ask = (since: number, key: unknown[], ids: string[]) =>
    (asking ??= d
      .activity(since, ids)
      .then(
        (rows) => void (answer = { since, key, rows: new Map(rows.map((r) => [r.id, r])) }),
        (err: unknown) => d.onError?.(err), // the last answer stays; the next snapshot asks again
      )
      .finally(() => (asking = null)));

  return async () => {
    const since = localMidnight(d.clock.now());
    const live = [...d.liveSenders()];
    const key: unknown[] = [since];
    for (const l of live) key.push(l.id, l.latest);
    if (!answer || !sameKey(answer.key, key)) {
      let cancel = () => {};
      const late = new Promise<void>((r) => (cancel = d.clock.setTimer(d.waitMs ?? 1000, r)));
      await Promise.race([ask(since, key, live.map((l) => l.id)), late]);
      cancel();
    }
    const rows = answer?.rows ?? new Map<string, Activity>();
    const online = new Map(live.map((l) => [l.id, l.latest]));
    const devices: ClickerDeviceStatus[] = [];
    for (const id of new Set([...online.keys(), ...rows.keys()])) {
      const row = rows.get(id);
      devices.push({ id, online: online.has(id), latest: scoreOf(online.get(id) ?? row?.latest), today: row?.today ?? 0 });
    }
    devices.sort((a, b) => (a.online !== b.online ? (a.online ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    let total = 0;
    for (const r of rows.values()) total += r.today;
    return {
      day_start: answer?.since ?? since,
      devices: devices.slice(0, STATUS_LIST_MAX),
      device_count: devices.length,
      online_count: online.size,
      today_total: total,
      listeners: d.listenerCount(),
    };
  };
}
