// The relay's shared registries, behind small interfaces so a Redis-backed version (several nodes,
// docs/architecture.md#several-nodes) can replace the in-memory one without touching the relay's rules.

/** Which connection holds each monitor_id (unique across the deployment). */
export interface MonitorDirectory {
  /** Take monitorId for owner; false when another owner holds it. */
  claim(monitorId: string, owner: string): boolean;
  /** Give it back (only its owner can). */
  release(monitorId: string, owner: string): void;
  owner(monitorId: string): string | undefined;
  size(): number;
  /** Every monitor_id held now (for the `monitors` extension, docs/socketio.md#monitor-list). */
  ids(): Iterable<string>;
}

export interface PendingCommand {
  id: string;
  monitorId: string;
  /** The user connection that sent it. */
  userKey: string;
  command: string;
  /** What the monitor's connection returned when handed the command (RelayPeer.deliver), to take it back. */
  delivery?: number;
}

/** Commands sent to a monitor and not yet finished, in the order they were sent. */
export interface PendingCommands {
  add(c: PendingCommand): void;
  /** Remove and return the command with this id (or, without an id, the oldest) of that monitor. */
  take(monitorId: string, id?: string): PendingCommand | undefined;
  /** Remove and return every unfinished command of that monitor, oldest first. */
  drain(monitorId: string): PendingCommand[];
  /** Remove and return every unfinished command that user sent, oldest first. */
  dropFrom(userKey: string): PendingCommand[];
  /** Unfinished commands of a monitor, and of a user. */
  countFor(monitorId: string): number;
  /** Every unfinished command of that monitor, oldest first, left in place (for the status feed). */
  list(monitorId: string): PendingCommand[];
  countFrom(userKey: string): number;
  size(): number;
}

export class MemoryMonitorDirectory implements MonitorDirectory {
  private readonly owners = new Map<string, string>();
  claim(monitorId: string, owner: string): boolean {
    const held = this.owners.get(monitorId);
    if (held !== undefined && held !== owner) return false;
    this.owners.set(monitorId, owner);
    return true;
  }
  release(monitorId: string, owner: string): void {
    if (this.owners.get(monitorId) === owner) this.owners.delete(monitorId);
  }
  owner(monitorId: string): string | undefined {
    return this.owners.get(monitorId);
  }
  size(): number {
    return this.owners.size;
  }
  ids(): Iterable<string> {
    return this.owners.keys();
  }
}

export class MemoryPendingCommands implements PendingCommands {
  // Maps keep insertion order, so the first entry is the oldest unfinished command.
  private readonly byMonitor = new Map<string, Map<string, PendingCommand>>();
  private readonly byUser = new Map<string, Map<string, PendingCommand>>();
  private count = 0;
  add(c: PendingCommand): void {
    let m = this.byMonitor.get(c.monitorId);
    if (!m) this.byMonitor.set(c.monitorId, (m = new Map()));
    m.set(c.id, c);
    let u = this.byUser.get(c.userKey);
    if (!u) this.byUser.set(c.userKey, (u = new Map()));
    u.set(c.id, c);
    this.count++;
  }
  take(monitorId: string, id?: string): PendingCommand | undefined {
    const m = this.byMonitor.get(monitorId);
    if (!m) return undefined;
    const c = id === undefined ? m.values().next().value : m.get(id);
    if (!c) return undefined;
    this.remove(c);
    return c;
  }
  drain(monitorId: string): PendingCommand[] {
    const all = [...(this.byMonitor.get(monitorId)?.values() ?? [])];
    for (const c of all) this.remove(c);
    return all;
  }
  dropFrom(userKey: string): PendingCommand[] {
    const all = [...(this.byUser.get(userKey)?.values() ?? [])];
    for (const c of all) this.remove(c);
    return all;
  }
  countFor(monitorId: string): number {
    return this.byMonitor.get(monitorId)?.size ?? 0;
  }
  list(monitorId: string): PendingCommand[] {
    return [...(this.byMonitor.get(monitorId)?.values() ?? [])];
  }
  countFrom(userKey: string): number {
    return this.byUser.get(userKey)?.size ?? 0;
  }
  size(): number {
    return this.count;
  }
  private remove(c: PendingCommand): void {
    const m = this.byMonitor.get(c.monitorId);
    if (m?.delete(c.id) && m.size === 0) this.byMonitor.delete(c.monitorId);
    const u = this.byUser.get(c.userKey);
    if (u?.delete(c.id) && u.size === 0) this.byUser.delete(c.userKey);
    this.count--;
  }
}
