// The watch party's part of the operator status feed (docs/pages.md#the-status-feed): each room's
// host, participants, position and play state. Pure. Resume tokens and invites never appear, and
// of the options only the two flags the server acts on.
import { STATUS_LIST_MAX, type SyncpartyStatus } from "../../pages/lib/status-types.ts";
import type { Clock } from "../../transport/types.ts";
import type { PartyRooms } from "./state.ts";

/**
 * A position is kept with the monotonic instant it was reported; the feed gives wall-clock ms.
 * The difference of the two clocks is kept between snapshots (read afresh, it wobbles by a
 * millisecond, and the feed would see a change every time); a step of the wall clock moves it.
 */
export function partyStatus(rooms: PartyRooms, clock: Pick<Clock, "now" | "mono">): () => SyncpartyStatus {
  let offset = Number.NaN;
  return () => {
    const now = clock.now() - clock.mono();
    if (!(Math.abs(now - offset) < 50)) offset = Math.round(now);
    return roomsStatus(rooms, (mono) => Math.round(offset + mono));
  };
}

function roomsStatus(rooms: PartyRooms, wallOf: (mono: number) => number): SyncpartyStatus {
  const list: SyncpartyStatus["rooms"] = [];
  for (const r of rooms.all()) {
    if (list.length >= STATUS_LIST_MAX) break;
    const participants = [...r.participants.values()].map((p) => ({ client_id: p.clientId, name: p.name, is_host: p.clientId === r.hostId }));
    list.push({
      id: r.id,
      host: r.hostId,
      participants,
      participant_count: participants.length,
      position: r.position,
      position_at: wallOf(r.updatedAt),
      play_state: r.playState,
      media_url: r.mediaUrl,
      free_play: r.options.free_play === true,
      private: r.options.private === true,
    });
  }
  return { room_count: rooms.count, participant_count: rooms.participantCount, rooms: list };
}
