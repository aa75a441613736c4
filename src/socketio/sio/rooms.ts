// Rooms of one namespace. Members whose session runs on a WebSocket are subscribed to a Bun topic,
// so a broadcast is serialized once and fanned out natively; members still on HTTP long-polling
// have no socket to subscribe, so they get the packet through their session's write buffer.
// Binary packets (several frames) always go member by member. Members that can recover get the
// packet with its offset (one per broadcast, shared by their logs), through a topic of their own;
// a member that is away stays in the room and only has the packet kept (recovery.ts).
import { PacketType } from "socket.io-parser";
import type { Topics } from "../../transport/types.ts";
import { encodeFrame } from "../engine/codec.ts";
import { encodePacket, type Frames } from "./codec.ts";
import type { LoggedPacket } from "./recovery.ts";
import type { SioSocket } from "./socket.ts";

const singleText = (frames: Frames): boolean => frames.length === 1 && typeof frames[0] === "string";

export class Rooms {
  private readonly members = new Map<string, Set<SioSocket>>();

  constructor(private readonly nsp: string, private readonly topics: Topics) {}

  /** `offsets`: the topic of the members that can recover (their frames carry offsets). */
  topic(room: string, offsets = false): string {
    return `socketio${offsets ? "+" : ""}:${this.nsp}#${room}`;
  }

  size(room: string): number {
    return this.members.get(room)?.size ?? 0;
  }

  join(s: SioSocket, room: string): void {
    let set = this.members.get(room);
    if (!set) this.members.set(room, (set = new Set()));
    set.add(s);
    if (s.connected) s.client.session.ws?.subscribe(this.topic(room, s.log !== null));
  }

  leave(s: SioSocket, room: string): void {
    const set = this.members.get(room);
    if (!set) return;
    set.delete(s);
    if (set.size === 0) this.members.delete(room);
    if (s.connected) s.client.session.ws?.unsubscribe(this.topic(room, s.log !== null));
  }

  /** The socket moves to another session: its old WebSocket stops getting its rooms. */
  detach(s: SioSocket): void {
    for (const room of s.rooms) s.client.session.ws?.unsubscribe(this.topic(room, s.log !== null));
  }

  /** The session moved to its WebSocket (or the socket came back on one): its rooms reach it through topics. */
  upgraded(s: SioSocket): void {
    for (const room of s.rooms) s.client.session.ws?.subscribe(this.topic(room, s.log !== null));
  }

  broadcast(room: string, except: SioSocket | null, event: string, args: unknown[]): void {
    const set = this.members.get(room);
    if (!set) return;
    const data = [event, ...args];
    let plain: Frames | null = null;
    let logged: LoggedPacket | null = null;
    let plainTopic = false;
    let loggedTopic = false;
    for (const m of set) {
      if (m === except) continue;
      const recovery = m.recovery;
      let frames: Frames;
      if (recovery) {
        if (m.ended) continue;
        logged ??= recovery.packet(this.nsp, data);
        recovery.record(m, logged);
        if (!m.connected) continue;
        frames = logged.frames;
      } else {
        if (!m.connected) continue;
        frames = plain ??= encodePacket({ type: PacketType.EVENT, nsp: this.nsp, data });
      }
      if (!m.client.session.ws || !singleText(frames)) m.client.sendEncoded(frames);
      else if (recovery) loggedTopic = true;
      else plainTopic = true;
    }
    if (plainTopic) this.publish(room, false, plain![0] as string, except);
    if (loggedTopic) this.publish(room, true, logged!.frames[0] as string, except);
  }

  private publish(room: string, offsets: boolean, packet: string, except: SioSocket | null): void {
    const text = encodeFrame({ type: "message", data: packet }) as string;
    const topic = this.topic(room, offsets);
    // The sender is subscribed to this topic when it is a connected member of its kind.
    const exceptWs = except?.connected && (except.log !== null) === offsets && this.members.get(room)?.has(except) ? except.client.session.ws : null;
    if (exceptWs) exceptWs.publishOthers(topic, text);
    else this.topics.publish(topic, text);
  }
}
