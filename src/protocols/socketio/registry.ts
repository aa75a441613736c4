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
}

/** Commands sent to a monitor and not yet finished, in the order they were sent. */
export interface PendingCommands {
  add(c: PendingCommand): void;
  /** Remove and return the command with this id (or, without an id, the oldest) of that monitor. */
  take(monitorId: string, id?: string): PendingCommand | undefined;
  /** Remove and return every unfinished command of that monitor, oldest first. */
  drain(monitorId: string): PendingCommand[];
  size(): number;
  /** Unfinished commands of that monitor. */
  countFor(monitorId: string): number;
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
  private count = 0;
  add(c: PendingCommand): void {
    let m = this.byMonitor.get(c.monitorId);
    if (!m) this.byMonitor.set(c.monitorId, (m = new Map()));
    m.set(c.id, c);
    this.count++;
  }
  take(monitorId: string, id?: string): PendingCommand | undefined {
    const m = this.byMonitor.get(monitorId);
    if (!m) return undefined;
    const c = id === undefined ? m.values().next().value : m.get(id);
    if (!c) return undefined;
    m.delete(c.id);
    if (m.size === 0) this.byMonitor.delete(monitorId);
    this.count--;
    return c;
  }
  drain(monitorId: string): PendingCommand[] {
    const m = this.byMonitor.get(monitorId);
    if (!m) return [];
    this.byMonitor.delete(monitorId);
    this.count -= m.size;
    return [...m.values()];
  }
  size(): number {
    return this.count;
  }
  countFor(monitorId: string): number {
    return this.byMonitor.get(monitorId)?.size ?? 0;
  }
}
