// Connection state recovery (docs/socketio.md#connection-state-recovery), the way socket.io 4.6+
// and socket.io-client speak it: a socket that can recover has a private session id (pid, sent in
// the CONNECT reply) and every EVENT it is sent, except one that asks for an ack, carries an
// offset as its last argument. The client remembers the last offset it processed; a CONNECT with
// {pid, offset} gets the same socket back and every packet after that offset, in order.
//
// What a socket's log holds: the packets its client may not have processed yet. While connected,
// those sent since the last heartbeat that came back (a pong answers a ping only after the packets
// sent before it); while away, also the ones it misses. Logs are bounded per socket and in total
// (RecoveryOptions); a socket that is away and goes past a bound cannot come back and ends.
// Pure: time from the injected Clock; sockets are driven through SioSocket.
import { PacketType } from "socket.io-parser";
import type { Clock } from "../../transport/types.ts";
import { randomId } from "../engine/server.ts";
import { encodePacket, type Frames } from "./codec.ts";
import type { Namespace } from "./namespace.ts";
import type { SioSocket } from "./socket.ts";

export interface RecoveryOptions {
  /** How long a socket that lost its transport is kept for its client to come back (ms). */
  windowMs: number;
  /** Packets one socket's log holds: while connected the oldest go first, while away it ends. */
  maxPacketsPerSocket: number;
  /** Packets all logs hold together, and their size in characters (binary: bytes). */
  maxPackets: number;
  maxChars: number;
}

/** Why a session ended, when the client may come back: its transport went away. */
const RECOVERABLE: ReadonlySet<string> = new Set(["transport close", "transport error", "ping timeout"]);

/** One EVENT as sent, with its offset; a broadcast shares one among the logs of its members. */
export interface LoggedPacket {
  readonly seq: number;
  readonly frames: Frames;
  readonly size: number;
}

/** The empty log, shared: most sockets of an idle server are never sent anything unconfirmed. */
const NONE: LoggedPacket[] = Object.freeze([]) as unknown as LoggedPacket[];

/** A socket's part: its pid and the packets its client may not have processed. */
export class SocketLog {
  entries: LoggedPacket[] = NONE;
  /** False once the socket is gone for good or can no longer come back. */
  live = true;
  /** The offset of the newest packet taken out of the log (0: none yet). */
  floor = 0;
  /** While away: the reason, and the timer that ends the window. */
  reason = "";
  /** The newest offset of any socket when it went away: its packets after that were never sent. */
  awayFrom = Infinity;
  stopWindow: (() => void) | null = null;
  constructor(readonly pid: string) {}
}

/** An offset is the packet's sequence number in base 36; null for anything else. */
export function parseOffset(text: unknown): number | null {
  if (typeof text !== "string" || !/^[0-9a-z]{1,10}$/.test(text)) return null;
  return parseInt(text, 36);
}

export class Recovery {
  private seq = 0;
  private readonly byPid = new Map<string, SioSocket>();
  /** Sockets away now, oldest first: the first to end when the logs outgrow the total bounds. */
  private readonly away = new Set<SioSocket>();
  private packets = 0;
  private chars = 0;

  constructor(private readonly clock: Clock, readonly opts: RecoveryOptions) {}

  /** The newest offset given out: a ping's watermark. */
  get lastSeq(): number {
    return this.seq;
  }

  /** For /metrics and tests: sockets away now, packets and characters held. */
  stats(): { away: number; packets: number; chars: number } {
    return { away: this.away.size, packets: this.packets, chars: this.chars };
  }

  recoverable(reason: string): boolean {
    return RECOVERABLE.has(reason);
  }

  /** A new socket whose client can recover: its pid (for the CONNECT reply) and an empty log. */
  register(s: SioSocket): string {
    const pid = randomId();
    s.log = new SocketLog(pid);
    this.byPid.set(pid, s);
    return pid;
  }

  /** An EVENT with the next offset as its last argument, encoded once. */
  packet(nsp: string, data: unknown[]): LoggedPacket {
    const seq = ++this.seq;
    const frames = encodePacket({ type: PacketType.EVENT, nsp, data: [...data, seq.toString(36)] });
    let size = 0;
    for (const f of frames) size += typeof f === "string" ? f.length : f.byteLength;
    return { seq, frames, size };
  }

  /** A packet sent to the socket, or missed by it while away. */
  record(s: SioSocket, p: LoggedPacket): void {
    const log = s.log;
    if (!log?.live) return; // ending: nothing more to keep
    if (log.entries === NONE) log.entries = [p];
    else log.entries.push(p);
    this.packets++;
    this.chars += p.size;
    if (log.entries.length > this.opts.maxPacketsPerSocket) {
      // Connected: the oldest has most likely been read; if not, the client gets a fresh socket.
      if (s.connected) this.dropOldest(log);
      else return this.abandon(s);
    }
    while (this.packets > this.opts.maxPackets || this.chars > this.opts.maxChars) {
      const oldest = this.away.values().next().value;
      if (oldest) this.abandon(oldest);
      else if (log.entries.length > 1) this.dropOldest(log);
      else break;
    }
  }

  /** The client has read everything up to this offset (a pong, or the offset it came back with). */
  confirm(s: SioSocket, upTo: number): void {
    const log = s.log;
    if (!log) return;
    let n = 0;
    while (n < log.entries.length && log.entries[n]!.seq <= upTo) n++;
    if (n === 0) return;
    for (let i = 0; i < n; i++) this.forget(log.entries[i]!);
    log.floor = log.entries[n - 1]!.seq;
    if (n === log.entries.length) log.entries = NONE;
    else log.entries.splice(0, n);
  }

  /** The transport went away: keep the socket for the window (false: it cannot recover). */
  suspend(s: SioSocket, reason: string): boolean {
    const log = s.log;
    if (!log?.live || !RECOVERABLE.has(reason)) return false;
    log.reason = reason;
    log.awayFrom = this.seq;
    this.away.add(s);
    log.stopWindow = this.clock.setTimer(this.opts.windowMs, () => {
      log.stopWindow = null;
      s.closed(reason);
    });
    return true;
  }

  /**
   * A CONNECT with a pid: the socket and the packets after the client's offset, or null (unknown
   * or expired pid, another namespace, an offset that is not one of the socket's own or whose
   * successors are no longer all kept). No offset: the client has processed none of the socket's
   * events, so all of them must still be in the log.
   */
  restore(pid: unknown, offset: unknown, nsp: Namespace): { socket: SioSocket; missed: LoggedPacket[] } | null {
    const s = typeof pid === "string" ? this.byPid.get(pid) : undefined;
    if (!s || s.nsp !== nsp || !s.log) return null;
    const log = s.log;
    const o = offset === undefined ? 0 : parseOffset(offset);
    if (o === null || (o !== log.floor && !log.entries.some((e) => e.seq === o))) return null;
    this.confirm(s, o);
    this.away.delete(s);
    log.stopWindow?.();
    log.stopWindow = null;
    return { socket: s, missed: log.entries.slice() };
  }

  /**
   * Take a packet back from a socket that is away, if it was recorded after the socket went away
   * (so never sent): its client will not get it when it comes back. Anything already sent stays.
   */
  withdraw(s: SioSocket, seq: number): void {
    const log = s.log;
    if (!log?.live || s.connected || seq <= log.awayFrom) return;
    const i = log.entries.findIndex((e) => e.seq === seq);
    if (i < 0) return;
    this.forget(log.entries[i]!);
    if (log.entries.length === 1) log.entries = NONE;
    else log.entries.splice(i, 1);
  }

  /** The socket is gone for good: its pid and log are forgotten. */
  release(s: SioSocket): void {
    const log = s.log;
    if (!log?.live) return;
    log.live = false;
    this.byPid.delete(log.pid);
    this.away.delete(s);
    log.stopWindow?.();
    log.stopWindow = null;
    for (const e of log.entries) this.forget(e);
    log.entries = NONE;
  }

  /** Shutdown: the sockets away end now (their clients cannot come back to this process). */
  close(): void {
    for (const s of [...this.away]) s.closed(s.log!.reason);
  }

  private dropOldest(log: SocketLog): void {
    const e = log.entries.shift()!;
    this.forget(e);
    log.floor = e.seq;
  }

  private forget(e: LoggedPacket): void {
    this.packets--;
    this.chars -= e.size;
  }

  /**
   * Past a bound while away: the socket cannot come back. It ends on the next tick, not inside the
   * emit that overflowed it (the application would hear of it in the middle of its own handler).
   */
  private abandon(s: SioSocket): void {
    const reason = s.log!.reason;
    this.release(s);
    this.clock.setTimer(0, () => s.closed(reason));
  }
}
