// The Socket.IO relay's part of the operator status feed (docs/pages.md#the-status-feed):
// monitors (online or awaited) with their unfinished commands, and users. Pure. Socket ids are
// left out: with connection state recovery a session's ids are what lets it come back.
import { STATUS_LIST_MAX, type SocketioStatus } from "../../pages/lib/status-types.ts";
import type { RelayView } from "./state.ts";

/** A command's text in the feed, at most this many characters. */
export const COMMAND_SHOWN = 200;

const byOnlineThenId = (a: { id: string; online: boolean }, b: { id: string; online: boolean }) =>
  a.online !== b.online ? (a.online ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

export function relayStatus(view: RelayView | null, recovering: number): SocketioStatus {
  if (!view) return { loaded: false, monitors: [], monitor_count: 0, users: [], user_count: 0, pending_total: 0, recovering: 0 };
  const perUser = new Map<string, number>();
  let total = 0;
  for (const m of view.monitors) {
    total += m.pending.length;
    for (const c of m.pending) perUser.set(c.userKey, (perUser.get(c.userKey) ?? 0) + 1);
  }
  const monitors = [...view.monitors].sort(byOnlineThenId).slice(0, STATUS_LIST_MAX).map((m) => ({
    monitor_id: m.id,
    online: m.online,
    pending: m.pending.slice(0, STATUS_LIST_MAX).map((c) => ({ id: c.id, command: c.command.slice(0, COMMAND_SHOWN) })),
    pending_count: m.pending.length,
    users: m.users,
  }));
  const users = view.users.slice(0, STATUS_LIST_MAX).map((u) => ({ monitor_id: u.queried, pending: perUser.get(u.key) ?? 0 }));
  return {
    loaded: true,
    monitors,
    monitor_count: view.monitors.filter((m) => m.online).length,
    users,
    user_count: view.users.length,
    pending_total: total,
    recovering,
  };
}
