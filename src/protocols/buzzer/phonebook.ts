// The registry of the virtual pool "phones" (docs/buzzer.md#phones-as-buzzers), pure: buzzer ids
// 1..255 kept per phone id across reloads and reconnects, the lowest free id for a new phone, the
// id of the phone away longest when all are registered. Connections are known by a key only
// (a connection id on one node; several nodes key them by node and id). Times are given.
import { errorReply, type ErrorReply } from "./errors.ts";

export const MAX_PHONES = 255;
export const DEFAULT_KEEP_MS = 60 * 60 * 1000;

export interface JoinResult<C = number> {
  buzzer: number;
  phoneId: string;
  name: string;
  /** The phone is new or joined with another name than last time: the name should be applied. */
  nameChanged: boolean;
  /** The buzzer was absent (or new) and is connected now: announce it. */
  connected: boolean;
  /** Another connection held this phone (a second tab, a reload before the old socket closed); it no longer does. */
  replaced: C | null;
  /** This connection held another phone, which is absent now: announce that it went away. */
  left: number | null;
}

/** A phone a connection plays, as its node puts it back into a registry that lost it. */
export interface HeldPhone<C> {
  conn: C;
  phoneId: string;
  buzzer: number;
  name: string;
}

export const phonesFull = (): ErrorReply => errorReply("phone", `all ${MAX_PHONES} phone buzzers are taken`, null);

interface Phone<C> {
  id: string;
  buzzer: number;
  name: string;
  /** The connection using it, or null while absent. */
  conn: C | null;
  absentSince: number | null;
}

export class PhoneBook<C> {
  private readonly byId = new Map<string, Phone<C>>();
  private readonly byConn = new Map<C, Phone<C>>();

  constructor(private readonly keepMs: number, private readonly newPhoneId: () => string) {}

  /**
   * A known phone id gets its buzzer back, an unknown but well-formed one (the server restarted)
   * is registered as given, none gets a new id. Ids absent for keepMs or longer are free again.
   */
  join(conn: C, name: string, phoneId: string | null, now: number): JoinResult<C> | ErrorReply {
    this.sweep(now);
    let phone = phoneId === null ? undefined : this.byId.get(phoneId);
    const fresh = !phone;
    if (!phone) {
      const buzzer = this.freeBuzzer();
      if (buzzer === null) return phonesFull();
      phone = { id: phoneId ?? this.unusedId(), buzzer, name, conn: null, absentSince: now };
      this.byId.set(phone.id, phone);
    }
    let left: number | null = null;
    const held = this.byConn.get(conn);
    if (held && held !== phone) {
      this.detach(held, now);
      left = held.buzzer;
    }
    const replaced = phone.conn !== null && phone.conn !== conn ? phone.conn : null;
    if (replaced !== null) this.byConn.delete(replaced);
    const connected = phone.conn === null;
    const nameChanged = fresh || phone.name !== name;
    phone.name = name;
    phone.conn = conn;
    phone.absentSince = null;
    this.byConn.set(conn, phone);
    return { buzzer: phone.buzzer, phoneId: phone.id, name, nameChanged, connected, replaced, left };
  }

  /** The connection closed: its phone is absent from now. Returns that phone's buzzer. */
  leave(conn: C, now: number): number | null {
    const phone = this.byConn.get(conn);
    if (!phone) return null;
    this.detach(phone, now);
    return phone.buzzer;
  }

  /** Buzzer ids of the phones connected now, ascending. */
  connected(): number[] {
    return [...this.byConn.values()].map((p) => p.buzzer).sort((a, b) => a - b);
  }

  /** Buzzer ids of the phones the connections `of` accepts play, ascending. */
  connectedOf(of: (conn: C) => boolean): number[] {
    return [...this.byConn].filter(([c]) => of(c)).map(([, p]) => p.buzzer).sort((a, b) => a - b);
  }

  buzzerOf(conn: C): number | null {
    return this.byConn.get(conn)?.buzzer ?? null;
  }

  /** Every connection `gone` accepts leaves (their node is gone). Returns their buzzers, ascending. */
  leaveAll(gone: (conn: C) => boolean, now: number): number[] {
    const left: number[] = [];
    for (const [conn, phone] of [...this.byConn]) {
      if (!gone(conn)) continue;
      this.detach(phone, now);
      left.push(phone.buzzer);
    }
    return left.sort((a, b) => a - b);
  }

  /**
   * Put one node's phones back as its connections hold them (`mine`: that node's connections;
   * the registry lost them, or reaped the node while it was cut off). A phone keeps its
   * buzzer unless another connected phone has it now, or it was taken over by another connection:
   * those connections are returned; an absent phone with the id gives it up.
   */
  restore(phones: HeldPhone<C>[], mine: (conn: C) => boolean, now: number): C[] {
    this.sweep(now);
    // This node's connections that are not listed have closed meanwhile: their phones are absent.
    const listed = new Set(phones.map((p) => p.conn));
    this.leaveAll((c) => mine(c) && !listed.has(c), now);
    const lost: C[] = [];
    for (const h of phones) {
      const known = this.byId.get(h.phoneId);
      if (known) {
        if ((known.conn !== null && known.conn !== h.conn) || known.buzzer !== h.buzzer) lost.push(h.conn);
        else this.attach(known, h.conn, now);
        continue;
      }
      const holder = [...this.byId.values()].find((p) => p.buzzer === h.buzzer);
      if (holder && holder.conn !== null) {
        lost.push(h.conn);
        continue;
      }
      if (holder) this.byId.delete(holder.id);
      const phone: Phone<C> = { id: h.phoneId, buzzer: h.buzzer, name: h.name, conn: null, absentSince: null };
      this.byId.set(phone.id, phone);
      this.attach(phone, h.conn, now);
    }
    return lost;
  }

  private attach(phone: Phone<C>, conn: C, now: number): void {
    const held = this.byConn.get(conn);
    if (held && held !== phone) this.detach(held, now);
    phone.conn = conn;
    phone.absentSince = null;
    this.byConn.set(conn, phone);
  }

  private detach(phone: Phone<C>, now: number): void {
    if (phone.conn !== null) this.byConn.delete(phone.conn);
    phone.conn = null;
    phone.absentSince = now;
  }

  private sweep(now: number): void {
    for (const p of this.byId.values()) if (p.absentSince !== null && now - p.absentSince >= this.keepMs) this.byId.delete(p.id);
  }

  /**
   * The lowest free id; when all are registered, the id of the phone absent longest (so a script
   * that joins and leaves in a loop cannot use the pool up); null only when every one is connected.
   */
  private freeBuzzer(): number | null {
    const used = new Set([...this.byId.values()].map((p) => p.buzzer));
    for (let b = 1; b <= MAX_PHONES; b++) if (!used.has(b)) return b;
    let oldest: Phone<C> | null = null;
    for (const p of this.byId.values()) if (p.absentSince !== null && (oldest === null || p.absentSince < oldest.absentSince!)) oldest = p;
    if (!oldest) return null;
    this.byId.delete(oldest.id);
    return oldest.buzzer;
  }

  private unusedId(): string {
    for (let i = 0; i < 100; i++) {
      const id = this.newPhoneId();
      if (!this.byId.has(id)) return id;
    }
    throw new Error("newPhoneId keeps returning ids in use");
  }
}
