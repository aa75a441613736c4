// The watch party's room records and what the rules are given (docs/syncparty.md#identity-and-seats);
// the rules themselves are PartyRooms (state.ts).
import { LOCAL_TOPIC } from "../../cluster/bus.ts";
import type { Clock, Conn, Topics } from "../../transport/types.ts";
import type { PlayState, RoomOptions } from "./codec.ts";

export interface Participant {
  clientId: string;
  name: string;
  conn: Conn;
  /** The seat's secret for its whole life: re-binding its client id needs it (docs/syncparty.md#seats-and-resume-tokens). */
  resumeToken: string;
}

export interface Room {
  id: string;
  /** Current host; while the room is empty, the host it had when the last one left. */
  hostId: string;
  mediaUrl: string;
  /** The creator's options object as sent (extra keys are kept and echoed back). */
  options: RoomOptions & Record<string, unknown>;
  position: number;
  playState: PlayState;
  /** Clock.mono() of the last position change: the base of extrapolation. */
  updatedAt: number;
  /** Insertion order is join order: the oldest participant comes first (host migration). */
  participants: Map<string, Participant>;
  /** Cancels the grace timer while the room is empty. */
  cancelGrace: (() => void) | null;
  /** While the room is empty: the resume token of the host's seat, which hostId still holds. */
  heldToken: string | null;
  /** The connection that created it (its rooms count against it until they are removed). */
  creator: number;
}

export interface PartyRoomsDeps {
  clock: Clock;
  topics: Topics;
  graceMs: number;
  maxParticipants: number;
  /** Rooms in total, and rooms one connection may have created that still exist (docs/syncparty.md#limits). */
  maxRooms: number;
  roomsPerConn: number;
  /** A fresh room id (the plugin uses random ids; tests use a counter). */
  newRoomId(): string;
  /** A fresh resume token: 128 random bits in the plugin; tests use a counter. */
  newResumeToken(): string;
  /** A room was removed (several nodes: its id is given up in the directory, docs/cluster.md#watch-party). */
  onDrop?(roomId: string): void;
}

export interface CreateArgs {
  room: string | null;
  clientId: string;
  name: string;
  mediaUrl: string;
  startPos: number;
  options: RoomOptions & Record<string, unknown>;
  /** Needed only when clientId holds an empty room in its grace period. */
  resumeToken: string | null;
}

/**
 * One topic per room. It stays on this node (docs/cluster.md#watch-party): the node that holds a
 * room carries its messages to the participants on other nodes itself.
 */
const ROOM_TOPIC = `${LOCAL_TOPIC}room:`;
export const topicOf = (roomId: string) => ROOM_TOPIC + roomId;
/** The room of a room topic, or null for any other topic. */
export const roomOfTopic = (topic: string) => (topic.startsWith(ROOM_TOPIC) ? topic.slice(ROOM_TOPIC.length) : null);

/** To the millisecond; a position too large for that (n * 1000 overflows) is already coarser. */
export const round3 = (n: number) => (Math.abs(n) < 1e300 ? Math.round(n * 1000) / 1000 : n);

/** The participants part of room_state and participants_update (docs/syncparty.md#room-state). */
export function participantsOf(r: Room) {
  const participants = [...r.participants.values()].map((p) => ({ client_id: p.clientId, name: p.name, is_host: p.clientId === r.hostId }));
  return { participants, participant_count: participants.length };
}
