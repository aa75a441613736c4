// Fakes for the pure Engine.IO/Socket.IO modules: the shared manual clock, and a WebSocket link
// that records text and binary frames (the shared FakeConn carries text only).
import type { WsLink } from "../../../src/socketio/engine/session.ts";
export { FakeClock } from "../../helpers/fakes.ts";

let nextLink = 1;
export class FakeLink implements WsLink {
  readonly id = nextLink++;
  readonly sent: Array<string | Uint8Array> = [];
  readonly topics = new Set<string>();
  closed: { code: number; reason?: string } | null = null;
  send(data: string | Uint8Array): void {
    this.sent.push(data);
  }
  /** Frames posted from another connection's handler; recorded with the rest, in order. */
  readonly posted: string[] = [];
  post(data: string): void {
    this.posted.push(data);
    this.sent.push(data);
  }
  close(code: number, reason?: string): void {
    this.closed ??= { code, reason };
  }
  subscribe(topic: string): void {
    this.topics.add(topic);
  }
  unsubscribe(topic: string): void {
    this.topics.delete(topic);
  }
  publishOthers(_topic: string, _data: string): void {}
  take(): Array<string | Uint8Array> {
    return this.sent.splice(0);
  }
}
