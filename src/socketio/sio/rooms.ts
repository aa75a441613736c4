// Rooms of one namespace. Members whose session runs on a WebSocket are subscribed to a Bun topic,
// so a broadcast is serialized once and fanned out natively; members still on HTTP long-polling
// have no socket to subscribe, so they get the packet through their session's write buffer.
// Binary packets (several frames) always go member by member.
import { PacketType } from "socket.io-parser";
import type { Topics } from "../../transport/types.ts";
import { encodeFrame } from "../engine/codec.ts";
import type { SioSocket } from "./socket.ts";

export class Rooms {
  private readonly members = new Map<string, Set<SioSocket>>();

  constructor(private readonly nsp: string, private readonly topics: Topics) {}

  topic(room: string): string {
    return `socketio:${this.nsp}#${room}`;
  }

  size(room: string): number {
    return this.members.get(room)?.size ?? 0;
  }

  join(s: SioSocket, room: string): void {
    let set = this.members.get(room);
    if (!set) this.members.set(room, (set = new Set()));
    set.add(s);
    s.client.session.ws?.subscribe(this.topic(room));
  }

  leave(s: SioSocket, room: string): void {
    const set = this.members.get(room);
    if (!set) return;
    set.delete(s);
    if (set.size === 0) this.members.delete(room);
    s.client.session.ws?.unsubscribe(this.topic(room));
  }

  /** The session moved to its WebSocket: from now on its rooms reach it through topics. */
  upgraded(s: SioSocket): void {
    for (const room of s.rooms) s.client.session.ws?.subscribe(this.topic(room));
  }

  broadcast(room: string, except: SioSocket | null, event: string, args: unknown[]): void {
    const set = this.members.get(room);
    if (!set) return;
    const frames = set.values().next().value!.client.encode({ type: PacketType.EVENT, nsp: this.nsp, data: [event, ...args] });
    const first = frames[0];
    if (frames.length !== 1 || typeof first !== "string") {
      for (const m of set) if (m !== except) m.client.sendEncoded(frames);
      return;
    }
    const text = encodeFrame({ type: "message", data: first }) as string;
    const topic = this.topic(room);
    const exceptWs = except?.client.session.ws;
    if (exceptWs && set.has(except!)) exceptWs.publishOthers(topic, text);
    else this.topics.publish(topic, text);
    for (const m of set) if (m !== except && !m.client.session.ws) m.client.sendEncoded(frames);
  }
}
