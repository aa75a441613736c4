// The user/monitor command relay (docs/socketio.md#events), pure: it speaks to connections
// through RelayPeer and keeps presence and unfinished commands in the registries. Every handler
// returns the reply for the caller (event + payload, also used to answer a Socket.IO ack).
import type { MonitorDirectory, PendingCommand, PendingCommands } from "./registry.ts";
import { Reason } from "./errors.ts";
import { checkCommandDone, checkCommandError, checkCommandSend, checkMonitorRef, commandLengthOk } from "./codec.ts";

/** A connection as the relay sees it (a Socket.IO socket is one as it is: no adapter object per socket). */
export interface RelayPeer {
  /** Unique for the server's lifetime: the relay's key. */
  readonly id: string;
  emit(event: string, payload: Payload): void;
  /**
   * An emit from another connection's handler (a command passed on, a result, a presence change).
   * Returns what withdraw() needs to take it back (a peer that keeps nothing returns nothing).
   */
  deliver(event: string, payload: Payload): number | void;
  /** Take back an emit it has not sent yet (kept while it was away): its client will never get it. */
  withdraw?(delivery: number): void;
}

/** Unfinished commands a monitor may have, and a user (docs/socketio.md#caps). */
export interface PendingLimits {
  perMonitor: number;
  perUser: number;
}

/** Every payload the server emits is an object with a `reason` string (docs/socketio.md#events). */
export type Payload = { reason: string } & Record<string, unknown>;

export interface Reply {
  /** The event to emit to the caller; null when the original protocol defines none (the ack still gets payload). */
  event: string | null;
  payload: Payload;
  /** `query failed` and `con failed` are followed by a disconnect (docs/socketio.md#events). */
  disconnect?: boolean;
  /** Refused for a role the connection's token does not give it (a failed auth attempt). */
  denied?: boolean;
}

/**
 * What a connection may do, decided once from its CONNECT token (docs/socketio.md#access-control):
 * a bit set. A role whose token is not configured is open to everyone.
 */
export const Role = { monitor: 1, user: 2, both: 3 } as const;
export type Roles = number;

/** Monitors listed in one `monitors ok` at most (sorted by id); `total` says how many are online. */
export const MAX_LISTED_MONITORS = 1000;

interface Peer {
  peer: RelayPeer;
  roles: Roles;
  /** As a user: the monitor it queried. */
  queried: string | null;
  /** As a monitor: the monitor_id it registered. */
  monitorId: string | null;
}


export interface RelayView {
  monitors: { id: string; online: boolean; pending: PendingCommand[]; users: number }[];
  users: { key: string; queried: string | null }[];
}

export class CommandRelay {
  private readonly peers = new Map<string, Peer>();
  /** Users that queried each monitor_id (for `monitor online/offline`). */
  private readonly watchers = new Map<string, Set<string>>();

  constructor(
    private readonly directory: MonitorDirectory,
    private readonly pending: PendingCommands,
    private readonly newId: () => string,
    private readonly limits: PendingLimits = { perMonitor: Infinity, perUser: Infinity },
  ) {}

  join(peer: RelayPeer, roles: Roles = Role.both): void {
    this.peers.set(peer.id, { peer, roles, queried: null, monitorId: null });
  }

  /**
   * The connection is gone for good: a monitor's unfinished commands fail and its watchers hear it
   * went offline; a user's unfinished commands go with it (dropped from their monitors' queues, and
   * one that a monitor away has not been sent yet is never sent).
   */
  leave(key: string): void {
    const p = this.peers.get(key);
    if (!p) return;
    this.peers.delete(key);
    if (p.queried) this.unwatch(p.queried, key);
    for (const c of this.pending.dropFrom(key)) if (c.delivery) this.peerOf(c.monitorId)?.peer.withdraw?.(c.delivery);
    const id = p.monitorId;
    if (!id) return;
    this.directory.release(id, key);
    for (const c of this.pending.drain(id)) this.toUser(c, "command failed", { reason: Reason.disconnected, id: c.id });
    this.notifyWatchers(id, "monitor offline", Reason.disconnected);
  }

  // ---- user ----

  query(key: string, payload: unknown): Reply {
    const p = this.must(key);
    if (!(p.roles & Role.user)) return { event: "query failed", payload: { reason: Reason.noUserRole }, disconnect: true, denied: true };
    if (!checkMonitorRef.Check(payload)) return { event: "query failed", payload: { reason: Reason.badMonitorId }, disconnect: true };
    const id = payload.monitor_id;
    if (p.queried && p.queried !== id) this.unwatch(p.queried, key);
    p.queried = id;
    let set = this.watchers.get(id);
    if (!set) this.watchers.set(id, (set = new Set()));
    set.add(key);
    return { event: "query ok", payload: { reason: Reason.ok, online: this.directory.owner(id) !== undefined } };
  }

  commandSend(key: string, payload: unknown): Reply {
    const p = this.must(key);
    const failed = (reason: string): Reply => ({ event: "command failed", payload: { reason } });
    if (!(p.roles & Role.user)) return { ...failed(Reason.noUserRole), denied: true };
    if (!p.queried) return failed(Reason.queryFirst);
    if (!checkCommandSend.Check(payload) || !commandLengthOk(payload.command)) return failed(Reason.badCommand);
    const monitor = this.peerOf(p.queried);
    // Never a false ok: the command is accepted only when its monitor is connected now.
    if (!monitor) return failed(Reason.offline);
    if (this.pending.countFrom(key) >= this.limits.perUser) return failed(Reason.userBusy);
    if (this.pending.countFor(p.queried) >= this.limits.perMonitor) return failed(Reason.monitorBusy);
    const c: PendingCommand = { id: this.newId(), monitorId: p.queried, userKey: key, command: payload.command };
    this.pending.add(c);
    const delivery = monitor.peer.deliver("command do", { reason: Reason.commandDo, command: c.command, id: c.id });
    if (delivery) c.delivery = delivery;
    return { event: "command ok", payload: { reason: Reason.ok, id: c.id } };
  }

  /**
   * `monitors` (an extension, docs/socketio.md#monitor-list): the monitors online now, sorted by
   * id, each with its unfinished commands. A user's right, like `query`: with a user token set, a
   * connection without it is refused (and that counts as a failed auth attempt).
   */
  listMonitors(key: string): Reply {
    const p = this.must(key);
    if (!(p.roles & Role.user)) return { event: "monitors failed", payload: { reason: Reason.noUserRole }, denied: true };
    const ids = [...this.directory.ids()].sort();
    const monitors = ids.slice(0, MAX_LISTED_MONITORS).map((id) => ({ monitor_id: id, pending: this.pending.countFor(id) }));
    return { event: "monitors ok", payload: { reason: Reason.ok, monitors, total: ids.length } };
  }

  // ---- monitor ----

  con(key: string, payload: unknown): Reply {
    const p = this.must(key);
    const failed = (reason: string): Reply => ({ event: "con failed", payload: { reason }, disconnect: true });
    // Before the id is even validated: a connection without the monitor role learns nothing about
    // which ids are held, and cannot take a free one (the squatter of docs/socketio.md#access-control).
    if (!(p.roles & Role.monitor)) return { ...failed(Reason.noMonitorRole), denied: true };
    if (!checkMonitorRef.Check(payload)) return failed(Reason.badMonitorId);
    const id = payload.monitor_id;
    if (p.monitorId && p.monitorId !== id) return failed(Reason.otherId);
    if (!this.directory.claim(id, key)) return failed(Reason.taken);
    const fresh = p.monitorId === null;
    p.monitorId = id;
    if (fresh) this.notifyWatchers(id, "monitor online", Reason.online);
    return { event: "con ok", payload: { reason: Reason.ok } };
  }

  /** `command done [{id}]`: no event back to the monitor (the original protocol has none); its ack gets the result. */
  commandDone(key: string, payload: unknown): Reply {
    const r = this.finish(key, payload ?? {}, (v) => checkCommandDone.Check(v));
    if ("error" in r) return r.error;
    this.toUser(r.cmd, "command finish", { reason: Reason.finished, id: r.cmd.id });
    return { event: null, payload: { reason: Reason.ok, id: r.cmd.id } };
  }

  /** `command error {reason, id?}`: the sender gets `command failed` with the monitor's reason. */
  commandError(key: string, payload: unknown): Reply {
    const r = this.finish(key, payload ?? {}, (v) => checkCommandError.Check(v));
    if ("error" in r) return r.error;
    // `command error` without a payload (or with null) finishes the oldest command like `{}` does.
    const given = (payload as { reason?: string } | null | undefined)?.reason;
    this.toUser(r.cmd, "command failed", { reason: given || "command error", id: r.cmd.id });
    return { event: null, payload: { reason: Reason.ok, id: r.cmd.id } };
  }

  // ---- numbers for /metrics ----

  monitors(): number {
    return this.directory.size();
  }
  pendingCommands(): number {
    return this.pending.size();
  }

  /**
   * For the status feed (docs/pages.md#the-status-feed): every monitor id that is online or that
   * a user queried, with its unfinished commands; every connection that is not a monitor.
   */
  view(): RelayView {
    const ids = new Set<string>();
    for (const p of this.peers.values()) if (p.monitorId) ids.add(p.monitorId);
    for (const id of this.watchers.keys()) ids.add(id);
    const monitors = [...ids].map((id) => ({ id, online: this.directory.owner(id) !== undefined, pending: this.pending.list(id), users: this.watchers.get(id)?.size ?? 0 }));
    const users: RelayView["users"] = [];
    for (const p of this.peers.values()) if (!p.monitorId) users.push({ key: p.peer.id, queried: p.queried });
    return { monitors, users };
  }

  // ---- internals ----

  private finish(key: string, payload: unknown, valid: (v: unknown) => boolean): { cmd: PendingCommand } | { error: Reply } {
    const p = this.must(key);
    const error = (reason: string) => ({ error: { event: "error", payload: { reason } } });
    if (!p.monitorId) return error(Reason.notMonitor);
    if (!valid(payload)) return error(Reason.badPayload);
    const raw = (payload as { id?: string | number }).id;
    const cmd = this.pending.take(p.monitorId, raw === undefined ? undefined : String(raw));
    if (!cmd) return error(raw === undefined ? Reason.noCommand : Reason.unknownId);
    return { cmd };
  }

  private must(key: string): Peer {
    const p = this.peers.get(key);
    if (!p) throw new Error(`relay: unknown connection ${key}`);
    return p;
  }

  private peerOf(monitorId: string): Peer | undefined {
    const owner = this.directory.owner(monitorId);
    return owner === undefined ? undefined : this.peers.get(owner);
  }

  private toUser(c: PendingCommand, event: string, payload: Payload): void {
    this.peers.get(c.userKey)?.peer.deliver(event, payload); // a user that left gets nothing
  }

  private unwatch(monitorId: string, key: string): void {
    const set = this.watchers.get(monitorId);
    set?.delete(key);
    if (set?.size === 0) this.watchers.delete(monitorId);
  }

  private notifyWatchers(monitorId: string, event: string, reason: string): void {
    for (const k of this.watchers.get(monitorId) ?? []) this.peers.get(k)?.peer.deliver(event, { reason, monitor_id: monitorId });
  }
}
