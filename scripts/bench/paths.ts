// Broadcast paths for the fan-out scenarios (F1, F2, S1, M2). Each one knows how to make a room
// on a running server (a publisher connection set up as its protocol demands), what a subscriber
// sends to join, how to publish one broadcast carrying a number, and how to read that number back
// out of a delivered frame (for the latency probes). Protocol paths are added as they land on main.
import { Ws } from "./lib/wsclient.ts";

export interface Room {
  /** URL path (with query) each subscriber opens. */
  subPath: string;
  /** Frames a subscriber sends right after its handshake to join the room. */
  subSetup(i: number): string[];
  /** Send one broadcast that carries `seq`. */
  publish(seq: number): void;
  /** The number a delivered broadcast frame carries (null: not a broadcast). */
  seqOf(text: string): number | null;
  /**
   * Protocols that can only carry a small number (a bpm, a buzzer id) reduce seq to this many
   * distinct values; latency is matched to the latest send with the same value.
   */
  modulo?: number;
  close(): void;
}

export interface FanoutPath {
  name: string;
  /** What the broadcast is, for the tables. */
  what: string;
  /** Label of the endpoint in /healthz "connections" (Switchboard paths only). */
  protocol?: string;
  /** Why M2 leaves this path out (e.g. every join is broadcast to the whole room). */
  noChurn?: string;
  /** Why F3 (under valgrind, ~50× slower) leaves this path out. */
  noCallgrind?: string;
  /** Why F2 (many rooms) leaves this path out (e.g. its broadcast reaches the whole endpoint). */
  noRooms?: string;
  /** Largest room the path supports (e.g. a protocol's participant cap). */
  maxN?: number;
  room(port: number, id: string, n: number): Promise<Room>;
}

/** ~100 B of JSON, like a small game or chat event. */
export function payload(room: string, seq: number): string {
  const head = `{"type":"event","room":"${room}","seq":${seq},"pad":"`;
  return head + "x".repeat(Math.max(0, 98 - head.length)) + '"}';
}
const seqRe = /"seq":(\d+)/;

/** The shared bench scheme of B0, B1 and Switchboard's /bench: ?room=R subscribes, &role=pub publishes. */
export function benchPath(name: string, prefix: string, what: string, protocol?: string): FanoutPath {
  return {
    name,
    what,
    protocol,
    async room(port, id) {
      const pub = await Ws.open(`ws://127.0.0.1:${port}${prefix}?room=${id}&role=pub`);
      return {
        subPath: `${prefix}?room=${id}`,
        subSetup: () => [],
        publish: (seq) => pub.send(payload(id, seq)),
        seqOf: (t) => {
          const m = seqRe.exec(t);
          return m ? Number(m[1]) : null;
        },
        close: () => pub.close(),
      };
    },
  };
}

export const b0Path = benchPath("b0", "/", "Bun.serve + server.publish");
export const b1Path = benchPath("b1", "/", "Node + ws send loop");
export const rawPath = benchPath("raw", "/bench", "Switchboard seam, no protocol", "bench");

const registry = new Map<string, FanoutPath>();
for (const p of [b0Path, b1Path, rawPath]) registry.set(p.name, p);

export function registerPath(p: FanoutPath): void {
  registry.set(p.name, p);
}
export function getPath(name: string): FanoutPath {
  const p = registry.get(name);
  if (!p) throw new Error(`unknown path ${name} (known: ${[...registry.keys()].join(", ")})`);
  return p;
}
