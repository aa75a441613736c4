// Phones as buzzers (docs/buzzer.md#phones-as-buzzers), pure: the registry of the virtual pool
// "phones" (its rules in phonebook.ts), a clock offset estimate per connection, and the
// conversion of a press on the phone's clock to server monotonic ms. Connections are known by
// their id only; time comes from the injected Clock.
import type { Clock } from "../../transport/types.ts";
import { exchangeOffset, type Exchange } from "../metronome/clock-sync.ts";
import { errorReply, type ErrorReply } from "./errors.ts";
import { DEFAULT_KEEP_MS, PhoneBook, type JoinResult } from "./phonebook.ts";

export const PHONES_POOL = "phones";
export { DEFAULT_KEEP_MS, MAX_PHONES, phonesFull, type JoinResult } from "./phonebook.ts";

export interface PhonesDeps {
  clock: Clock;
  /** An absent phone keeps its buzzer id this long (ms), unless all ids are taken; then it may go to another phone. */
  keepMs?: number;
  /** The earliest a press may be placed before it reached the server (ms): what a phone's word is worth. */
  maxPressAgeMs?: number;
  /** A new unguessable phone id (tests inject a sequence). */
  newPhoneId?: () => string;
}

export const DEFAULT_MAX_PRESS_AGE_MS = 500;

/**
 * How many of a connection's latest exchanges the estimate chooses from. The smallest round trip
 * among recent exchanges, not among all of them: a phone's crystal drifts (tens of ppm, a few ms a
 * minute), so an exchange from long ago describes a clock that has moved since. At one sync every
 * 2 s, 16 exchanges are the last half minute.
 */
export const EXCHANGES_KEPT = 16;

/**
 * offset = phone clock − server monotonic clock, per connection. The metronome's ClockSync keeps
 * its fastest exchange forever, rejects offsets over a day and reads small one-way offsets as 0;
 * all three are right for epoch clocks and wrong here, where the phone's clock may be any clock
 * (performance.now() is recommended) and the server's is monotonic. The NTP formulas are shared.
 */
export class PhoneClock {
  private readonly exchanges: { offset: number; rtt: number }[] = [];
  private readonly oneWays: number[] = [];

  /** A client timestamp received at serverRecv: offset ≥ clientTs − serverRecv (transit takes time). */
  oneWaySample(clientTs: number, serverRecv: number): void {
    const s = clientTs - serverRecv;
    if (!Number.isFinite(s)) return;
    this.oneWays.push(s);
    if (this.oneWays.length > EXCHANGES_KEPT) this.oneWays.shift();
  }

  /** A completed exchange as the phone reports it; a negative round trip is inconsistent and ignored. */
  exchange(x: Exchange): void {
    const e = exchangeOffset(x);
    if (!Number.isFinite(e.offset) || !Number.isFinite(e.rtt) || e.rtt < 0) return;
    this.exchanges.push(e);
    if (this.exchanges.length > EXCHANGES_KEPT) this.exchanges.shift();
  }

  /** The estimate: the recent exchange with the smallest round trip, else the best one-way bound; null without samples. */
  get offset(): number | null {
    let best: { offset: number; rtt: number } | null = null;
    for (const e of this.exchanges) if (best === null || e.rtt < best.rtt) best = e;
    if (best) return best.offset;
    return this.oneWays.length ? Math.max(...this.oneWays) : null;
  }

  /** Round trip of the exchange in use; null while only one-way samples are known. */
  get rtt(): number | null {
    let r: number | null = null;
    for (const e of this.exchanges) if (r === null || e.rtt < r) r = e.rtt;
    return r;
  }
}

export interface SyncReply {
  client_ts: number;
  server_recv_ts: number;
  server_send_ts: number;
}

export interface PhonePress {
  buzzer: number;
  /** The press in server monotonic ms, within [arrival − maxPressAgeMs, arrival]. */
  at: number;
  /** When it reached the server. */
  recv: number;
}

export const notJoined = (): ErrorReply => errorReply("phone", "join first: send phone_join", null);

export class Phones {
  private readonly book: PhoneBook<number>;
  private readonly clocks = new Map<number, PhoneClock>();
  private readonly maxPressAgeMs: number;

  constructor(private readonly deps: PhonesDeps) {
    this.maxPressAgeMs = deps.maxPressAgeMs ?? DEFAULT_MAX_PRESS_AGE_MS;
    this.book = new PhoneBook(deps.keepMs ?? DEFAULT_KEEP_MS, deps.newPhoneId ?? randomPhoneId);
  }

  /** sync_time: the server's receive and send instants (monotonic ms), and learn from the reported exchange. */
  sync(conn: number, clientTs: number, previous: Exchange | null): SyncReply {
    const recv = this.deps.clock.mono();
    const c = this.clockOf(conn);
    c.oneWaySample(clientTs, recv);
    if (previous && previous.server_recv_ts <= recv) c.exchange(previous); // the server's half cannot be from the future
    return { client_ts: clientTs, server_recv_ts: us(recv), server_send_ts: us(this.deps.clock.mono()) };
  }

  /** phone_join (the registry's rules: phonebook.ts). */
  join(conn: number, name: string, phoneId: string | null): JoinResult | ErrorReply {
    return this.book.join(conn, name, phoneId, this.deps.clock.mono());
  }

  /** A press on the phone's clock, converted to server time (docs/buzzer.md#fairness-and-its-limits). */
  press(conn: number, clientTs: number): PhonePress | ErrorReply {
    const buzzer = this.book.buzzerOf(conn);
    if (buzzer === null) return notJoined();
    return { buzzer, ...this.convert(conn, clientTs) };
  }

  /** A press instant on a connection's phone clock as server monotonic ms, and its arrival. */
  convert(conn: number, clientTs: number): { at: number; recv: number } {
    const recv = this.deps.clock.mono();
    const c = this.clockOf(conn);
    c.oneWaySample(clientTs, recv); // without any sync this alone places the press at its arrival
    const converted = clientTs - c.offset!;
    return { at: Math.min(recv, Math.max(recv - this.maxPressAgeMs, converted)), recv };
  }

  /** The connection closed: its clock estimate goes, its phone is absent from now. Returns that phone's buzzer. */
  forget(conn: number): number | null {
    this.clocks.delete(conn);
    return this.book.leave(conn, this.deps.clock.mono());
  }

  /** Buzzer ids of the phones connected now, ascending (`list buzzers`). */
  connected(): number[] {
    return this.book.connected();
  }

  /** The buzzer a connection plays, or null. */
  buzzerOf(conn: number): number | null {
    return this.book.buzzerOf(conn);
  }

  /** The connection's current offset estimate (phone − server, ms), or null without samples. */
  offsetOf(conn: number): number | null {
    return this.clocks.get(conn)?.offset ?? null;
  }

  private clockOf(conn: number): PhoneClock {
    let c = this.clocks.get(conn);
    if (!c) this.clocks.set(conn, (c = new PhoneClock()));
    return c;
  }
}

/** 128 random bits, base64url: a phone id is the only proof that a buzzer id is yours. */
export function randomPhoneId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const us = (ms: number) => Math.round(ms * 1000) / 1000;
