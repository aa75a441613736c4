// One Engine.IO v4 session (engine.io-protocol v4): its transport (HTTP long-polling or a
// WebSocket), the write buffer, the polling request held open, the probe/upgrade dance, and the
// server-driven heartbeat. Pure: time comes from the injected Clock, sockets from WsLink.
import { Close } from "../../transport/close-codes.ts";
import type { Clock } from "../../transport/types.ts";
import type { Gated, PacketGate } from "./gate.ts";
import { PingSchedule, type PingNode } from "./heartbeat.ts";
import { decodeFrame, decodePollBody, EngineClose, encodeFrame, encodePollBody, type EngineCloseReason, type EnginePacket, type Frame } from "./codec.ts";
import type { EngineClient, EngineOptions, PacketCounters, SessionEvents, TransportName, WsLink } from "./types.ts";

export type { EngineClient, EngineOptions, PacketCounters, SessionEvents, TransportName, WsLink } from "./types.ts";
type PollReply = (body: string) => void;
const noEvents: SessionEvents = { message() {}, upgraded() {}, closed() {} };
/** The empty write buffer, shared: a WebSocket session never queues, so it never needs its own. */
const noPackets: readonly EnginePacket[] = Object.freeze([]);

export class EngineSession implements PingNode, Gated {
  transport: TransportName;
  ws: WsLink | null;
  state: "open" | "closing" | "closed" = "open";
  events: SessionEvents = noEvents;
  private probe: WsLink | null = null;
  private probed = false;
  private buffer: readonly EnginePacket[] = noPackets;
  private waiter: PollReply | null = null;
  private flushQueued = false;
  // Links in the ping schedule (heartbeat.ts); public for it, not for anyone else.
  pingDue = 0;
  pingPrev: PingNode | null = null;
  pingNext: PingNode | null = null;
  pingQueued = false;
  private stopPong: (() => void) | null = null;
  private pongRefreshed = false;
  /** When the awaited pong is due (Clock.mono); timers fire a little late, requests check this. */
  private pongDeadline = 0;
  private stopUpgrade: (() => void) | null = null;
  private stopClosing: (() => void) | null = null;
  /** While polling: the deadline for the client's next GET. */
  private stopPollWait: (() => void) | null = null;
  // The rate bucket and queue (gate.ts); public for the gate.
  tokens = 0;
  refilledAt = 0;
  waiting: Gated["waiting"] = null;
  waitingBytes = 0;
  drainTimer: (() => void) | null = null;

  constructor(
    readonly sid: string,
    private readonly clock: Clock,
    private readonly opts: EngineOptions,
    private readonly counters: PacketCounters,
    ws: WsLink | null,
    /** The server's bookkeeping when the session ends, run before events.closed (one function for all sessions). */
    private readonly ended: ((s: EngineSession, reason: string) => void) | null = null,
    /** Shared by the sessions of a server; a session on its own gets one of its own. */
    private readonly pings: PingSchedule = new PingSchedule(clock, opts.pingIntervalMs),
    /** The client's address as the handshake request came from it ("" when unknown). */
    readonly ip: string = "",
    readonly client: EngineClient = "unknown",
    /** The server's rate limit (null: none). */
    private readonly gate: PacketGate | null = null,
  ) {
    this.ws = ws;
    this.transport = ws ? "websocket" : "polling";
    gate?.start(this);
  }

  /** Handshake (§ "Handshake"): the open packet, then the heartbeat starts. */
  start(): void {
    const { pingIntervalMs, pingTimeoutMs, maxPayload } = this.opts;
    const upgrades = this.transport === "polling" ? ["websocket"] : [];
    this.send({ type: "open", data: JSON.stringify({ sid: this.sid, upgrades, pingInterval: pingIntervalMs, pingTimeout: pingTimeoutMs, maxPayload }) });
    this.schedulePing();
  }

  get upgrading(): boolean {
    return this.probe !== null;
  }

  /** `posted`: sent from another connection's handler (a relay), so queued to the loop turn's write. */
  send(p: EnginePacket, posted = false): void {
    if (this.state !== "open") return;
    if (this.ws) {
      const frame = encodeFrame(p);
      if (posted && typeof frame === "string") this.ws.post(frame);
      else this.ws.send(frame);
      return;
    }
    if (this.buffer.length >= this.opts.maxBufferedPackets) return this.fail(EngineClose.backpressure);
    this.queue(p);
    // Batch the packets of one tick (e.g. an event and its binary attachments) into one poll reply.
    if (this.waiter && !this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        this.flush();
      });
    }
  }

  // ---- HTTP long-polling (§ "HTTP long-polling") ----

  /** A GET. Returns false when one is already pending: the reference server then closes the session. */
  poll(reply: PollReply): boolean {
    if (this.waiter) {
      this.fail(EngineClose.transportError);
      return false;
    }
    this.stopPollWait?.();
    this.stopPollWait = null;
    this.waiter = reply;
    if (this.state === "closing") this.closingPoll();
    else if (this.buffer.length) this.flush();
    else if (this.probed) this.answer("noop"); // the WebSocket answered the probe: release the poll
    return true;
  }

  /** The client went away while its GET was pending. */
  pollAborted(reply: PollReply): void {
    if (this.waiter !== reply) return;
    this.waiter = null;
    this.fail(EngineClose.transportClose);
  }

  /** A POST body. Returns false when it does not decode (the session is then closed). */
  post(body: string): boolean {
    const packets = decodePollBody(body);
    if (!packets) {
      this.fail(EngineClose.parseError);
      return false;
    }
    this.counters.framesIn += packets.length;
    for (const p of packets) this.arrive(p);
    return true;
  }

  private queue(p: EnginePacket): void {
    if (this.buffer === noPackets) this.buffer = [p];
    else (this.buffer as EnginePacket[]).push(p);
  }

  private flush(): void {
    const reply = this.waiter;
    if (!reply || this.buffer.length === 0) return;
    this.waiter = null;
    const packets = this.buffer;
    this.buffer = noPackets;
    this.counters.framesOut += packets.length;
    this.awaitPoll();
    reply(encodePollBody(packets));
  }

  private answer(type: "noop" | "close"): void {
    const reply = this.waiter;
    if (!reply) return;
    this.waiter = null;
    this.counters.framesOut++;
    this.awaitPoll();
    reply(encodePollBody([{ type }]));
  }

  /**
   * A GET was answered: the next one is due within pingTimeout (docs/socketio.md#handshake-and-heartbeat),
   * except while a probe runs (the client pauses polling for the upgrade, which has its own timeout).
   */
  private awaitPoll(): void {
    if (this.state !== "open" || this.transport !== "polling" || this.probe || this.stopPollWait) return;
    this.stopPollWait = this.clock.setTimer(this.opts.pingTimeoutMs, () => {
      this.stopPollWait = null;
      if (!this.waiter && this.transport === "polling" && !this.probe) this.fail(EngineClose.pingTimeout);
    });
  }

  // ---- WebSocket and the upgrade (§ "Upgrade") ----

  /** A WebSocket opened with this sid: it must answer the probe, then send "5". */
  attachProbe(link: WsLink): boolean {
    if (this.state !== "open" || this.transport !== "polling" || this.probe) return false;
    this.probe = link;
    this.stopUpgrade = this.clock.setTimer(this.opts.upgradeTimeoutMs, () => this.dropProbe());
    return true;
  }

  wsFrame(link: WsLink, data: Frame): void {
    if (link === this.ws) return this.arrive(data);
    if (link !== this.probe) return;
    const p = decodeFrame(data);
    this.gate?.charge(this);
    if (p.type === "ping" && p.data === "probe") {
      link.send(encodeFrame({ type: "pong", data: "probe" }));
      this.probed = true;
      this.answer("noop");
    } else if (p.type === "upgrade" && this.probed) this.completeUpgrade(link);
    else this.dropProbe(); // anything else on a probing socket abandons the upgrade
  }

  /** A WebSocket ping frame: answered by the socket itself, and a unit of work. */
  wsControl(link: WsLink): void {
    if (this.state === "open" && (link === this.ws || link === this.probe)) this.gate?.charge(this);
  }

  wsClosed(link: WsLink): void {
    if (link === this.ws) this.fail(EngineClose.transportClose);
    else if (link === this.probe) this.clearProbe();
  }

  private completeUpgrade(link: WsLink): void {
    this.clearProbe();
    this.ws = link;
    this.transport = "websocket";
    this.stopPollWait?.();
    this.stopPollWait = null;
    this.answer("noop");
    const pending = this.buffer;
    this.buffer = noPackets;
    for (const p of pending) link.send(encodeFrame(p));
    this.events.upgraded();
  }

  private dropProbe(): void {
    const link = this.probe;
    this.clearProbe();
    link?.close(Close.normal, "upgrade abandoned");
    if (!this.waiter) this.awaitPoll(); // the client polls again
  }

  private clearProbe(): void {
    this.stopUpgrade?.();
    this.stopUpgrade = null;
    this.probe = null;
    this.probed = false;
  }

  // ---- packets and heartbeat (§ "Heartbeat") ----

  /** A packet from the client: a sign of life now; handled now or, over the rate, in its turn (gate.ts). */
  private arrive(p: EnginePacket | Frame): void {
    if (this.state !== "open") return;
    // A frame is decoded when handled: one dropped from the queue never is.
    const pong = typeof p === "string" ? p.charCodeAt(0) === 51 /* "3" */ : !(p instanceof Uint8Array) && p.type === "pong";
    // Like the reference: any packet while a pong is awaited refreshes the timeout once.
    if (this.stopPong && !this.pongRefreshed && !pong) {
      this.pongRefreshed = true;
      this.armPongTimeout();
    }
    if (pong) {
      this.stopPong?.();
      this.stopPong = null;
      this.schedulePing();
      this.events.ponged?.();
      this.gate?.charge(this);
    } else if (this.gate) this.gate.packet(this, p);
    else this.handle(p);
  }

  get accepting(): boolean {
    return this.state === "open";
  }

  /** One packet's work, in order as the rate allows (gate.ts); a WebSocket frame is decoded here. */
  handle(x: EnginePacket | Frame): void {
    const p = typeof x === "string" || x instanceof Uint8Array ? decodeFrame(x) : x;
    switch (p.type) {
      case "message":
        this.events.message(p.data as string | Uint8Array);
        break;
      case "close":
        this.fail(EngineClose.transportClose, "noop");
        break;
      case "ping": // v4: only the server pings
        this.fail(EngineClose.transportError);
        break;
      case "error":
        this.fail(EngineClose.parseError);
        break;
      default: // open/upgrade/noop from a client mean nothing here
        break;
    }
  }

  /** The rate queue is full: the application's error reply, then the session ends (gate.ts). */
  overflow(p: EnginePacket | Frame | null): void {
    this.events.rateLimited?.(p);
    this.close(Close.policy);
  }

  cork(fn: () => void): void {
    if (this.ws?.cork) this.ws.cork(fn);
    else fn();
  }

  private schedulePing(): void {
    this.pings.add(this);
  }

  /** The ping is due (called by the schedule at pingDue). */
  pingDueNow(): void {
    this.events.pinging?.();
    this.send({ type: "ping" });
    this.pongRefreshed = false;
    // The timeout counts from when the ping was due, so timer lateness does not add up.
    this.armPongTimeout(this.pingDue);
  }

  private armPongTimeout(from = this.clock.mono()): void {
    this.stopPong?.();
    this.pongDeadline = from + this.opts.pingTimeoutMs;
    const left = Math.max(0, this.pongDeadline - this.clock.mono());
    this.stopPong = this.clock.setTimer(left, () => this.fail(EngineClose.pingTimeout));
  }

  /**
   * The pong is overdue but its timer has not fired yet (timers run late under load). A request
   * for the session then finds it closed, as it would a moment later: pingInterval + pingTimeout
   * after the last pong the session is gone, to the millisecond (§ "Heartbeat").
   */
  expireIfOverdue(): boolean {
    if (this.state === "open" && this.stopPong && this.clock.mono() >= this.pongDeadline) this.fail(EngineClose.pingTimeout);
    return this.state === "closed";
  }

  // ---- closing ----

  /**
   * Server-initiated close; `wsCode` is the WebSocket close code (1001 when the server shuts down).
   * A WebSocket closes at once. A polling client first gets what is queued, then "1" in a reply of
   * its own: socket.io-client handles the packets of one reply after the close, so a close in the
   * same reply would swallow the last events (the reference does the same).
   */
  close(wsCode: number = Close.normal): void {
    if (this.state !== "open") return;
    if (this.ws) return this.finish(EngineClose.forced, wsCode);
    this.state = "closing";
    this.stopTimers();
    this.stopClosing = this.clock.setTimer(this.opts.closeTimeoutMs, () => this.finish(EngineClose.forced));
    if (this.waiter) this.closingPoll();
  }

  private closingPoll(): void {
    if (this.buffer.length) return this.flush();
    this.queue({ type: "close" });
    this.flush();
    this.finish(EngineClose.forced);
  }

  /** End now, whatever is queued (shutdown, a handler bug, a transport error). */
  terminate(reason: EngineCloseReason, wsCode: number = Close.normal): void {
    this.fail(reason, "close", wsCode);
  }

  /** Abrupt end (ping timeout, transport gone, bad input): a pending GET is released. */
  private fail(reason: EngineCloseReason, release: "noop" | "close" = "close", wsCode: number = Close.normal): void {
    if (this.state === "closed") return;
    this.answer(release);
    this.buffer = noPackets;
    this.finish(reason, wsCode);
  }

  private finish(reason: EngineCloseReason, wsCode: number = Close.normal): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.stopTimers();
    this.stopClosing?.();
    this.waiter = null;
    const ws = this.ws;
    this.ws = null;
    ws?.close(wsCode, "");
    if (this.probe) this.dropProbe();
    this.ended?.(this, reason);
    this.events.closed(reason);
  }

  private stopTimers(): void {
    this.pings.remove(this);
    this.stopPong?.();
    this.stopPong = null;
    this.stopPollWait?.();
    this.stopPollWait = null;
    this.gate?.stop(this);
  }
}
