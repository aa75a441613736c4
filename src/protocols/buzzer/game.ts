// The quiz game on /mediator (docs/buzzer.md#the-game), pure: rounds, the press order, the
// settle window that makes the winner final, false starts. Time comes from the injected Clock;
// frames go out through `publish` (the mediator maps it to its events topic). Every instant here
// is server monotonic ms, the clock of the raw events' `ts`.
import type { Clock } from "../../transport/types.ts";
import { encode, type OrderEntry, type PressOutcome, type RoundSnapshot, type Winner } from "./codec.ts";

/** Team names, kept per pool and buzzer (the integrator backs it with the database). */
export interface NameStore {
  get(pool: string, buzzer: number): Promise<string | null>;
  /** null forgets the name. */
  set(pool: string, buzzer: number, name: string | null): Promise<void>;
}

export class MemoryNameStore implements NameStore {
  private readonly names = new Map<string, string>();
  async get(pool: string, buzzer: number): Promise<string | null> {
    return this.names.get(key(pool, buzzer)) ?? null;
  }
  async set(pool: string, buzzer: number, name: string | null): Promise<void> {
    if (name === null) this.names.delete(key(pool, buzzer));
    else this.names.set(key(pool, buzzer), name);
  }
}

export interface GameDeps {
  clock: Clock;
  /** Sends an event frame to every client of the endpoint. */
  publish(frame: string): void;
  /** How long after the earliest press reached the server the winner becomes final (ms). */
  settleMs: number;
  /** How long a press while not armed locks its buzzer out, from that press (ms). */
  falseStartMs: number;
  names: NameStore;
  /** The last round number before this game's first (a new leader of several nodes goes on from the last one's). */
  round?: number;
}

/** A press: `at` is the press instant in server monotonic ms (receive time, kernel time, or a phone's converted time). */
export interface Press {
  pool: string;
  buzzer: number;
  at: number;
}

export interface PressResult {
  outcome: PressOutcome;
  round: number;
  /** The press instant as used (never later than its arrival). */
  at: number;
}

interface Entry {
  pool: string;
  buzzer: number;
  at: number;
}

/** An armed period [armedAt, endedAt); endedAt null while it lasts. */
interface Span {
  round: number;
  armedAt: number;
  endedAt: number | null;
}

/** Armed periods remembered for presses that arrive late (a phone's press converted to an earlier instant). */
const SPANS_KEPT = 8;

export class Game {
  private round = 0;
  private spans: Span[] = [];
  private order: Entry[] = [];
  private winner: Entry | null = null;
  /** Arrival instant after which the winner is final; null until the round's first press joins. */
  private deadline: number | null = null;
  private cancelSettle: (() => void) | null = null;
  /** Lockout end per buzzer, in press time. */
  private readonly lockedUntil = new Map<string, number>();
  /** Names known (from the store, or set here); a key absent from it has not been looked up yet. */
  private readonly names = new Map<string, string | null>();
  /** Reads under way: a second prefetch of the same buzzer waits for the same read. */
  private readonly lookups = new Map<string, Promise<void>>();

  constructor(private readonly deps: GameDeps) {
    this.round = deps.round ?? 0;
  }

  /** Start a new round (also while armed: the old round ends, without `first` if it was still settling). */
  arm(): number {
    const now = this.settleIfDue();
    this.endSpan(now);
    this.clearRound();
    this.round++;
    this.spans.push({ round: this.round, armedAt: now, endedAt: null });
    if (this.spans.length > SPANS_KEPT) this.spans.shift();
    this.deps.publish(encode.armed(this.round, us(now)));
    return this.round;
  }

  /** Disarm and clear the order; a round still settling gets no `first`. Also when not armed (screens clear). */
  reset(): number {
    const now = this.settleIfDue();
    this.endSpan(now);
    this.clearRound();
    this.deps.publish(encode.reset(this.round, us(now)));
    return this.round;
  }

  get armed(): boolean {
    return this.spans.at(-1)?.endedAt === null;
  }

  press(p: Press): PressResult {
    const now = this.settleIfDue();
    const at = Math.min(p.at, now);
    const k = key(p.pool, p.buzzer);
    const cur = this.spans.at(-1);
    const result = (outcome: PressOutcome): PressResult => ({ outcome, round: this.round, at });
    if (!cur || cur.endedAt !== null || at < cur.armedAt) {
      // Pressed while a round that has ended since was armed: too late for it, but no false start.
      if (this.spans.some((s) => s.armedAt <= at && s.endedAt !== null && at < s.endedAt)) return result("round_over");
      this.lockedUntil.set(k, Math.max(this.lockedUntil.get(k) ?? -Infinity, at + this.deps.falseStartMs));
      return result("false_start");
    }
    if (at < (this.lockedUntil.get(k) ?? -Infinity)) return result("locked_out");
    if (this.order.some((e) => e.pool === p.pool && e.buzzer === p.buzzer)) return result("repeat");
    const entry: Entry = { pool: p.pool, buzzer: p.buzzer, at };
    // Sorted by press time; an equal time goes after the entries that arrived before it.
    const i = this.order.findIndex((e) => e.at > at);
    if (i < 0) this.order.push(entry);
    else this.order.splice(i, 0, entry);
    void this.lookup(p.pool, p.buzzer);
    if (this.deadline === null) {
      this.deadline = now + this.deps.settleMs;
      this.settleAfter(this.deps.settleMs);
    }
    this.publishOrder();
    return result("joined");
  }

  /** Name a buzzer: every later event carries the name at once; resolves when the store has it. */
  setName(pool: string, buzzer: number, name: string | null): Promise<void> {
    this.settleIfDue();
    this.names.set(key(pool, buzzer), name);
    if (this.order.some((e) => e.pool === pool && e.buzzer === buzzer)) this.publishOrder();
    return this.deps.names.set(pool, buzzer, name);
  }

  /** A name set elsewhere (another node's game), known here from now on without storing it. */
  remember(pool: string, buzzer: number, name: string | null): void {
    this.names.set(key(pool, buzzer), name);
  }

  /** The name known now (null also while the store has not answered yet). */
  nameOf(pool: string, buzzer: number): string | null {
    return this.names.get(key(pool, buzzer)) ?? null;
  }

  /** Load names ahead of the first press (call it when buzzers connect), so the first events carry them. */
  prefetch(pool: string, buzzers: number[]): Promise<void> {
    return Promise.all(buzzers.map((b) => this.lookup(pool, b))).then(() => {});
  }

  /** `list round`, for a screen that opens late. */
  snapshot(): RoundSnapshot {
    this.settleIfDue();
    return { round: this.round, armed: this.armed, order: this.entries(), first: this.winner && this.winnerOf(this.winner) };
  }

  stop(): void {
    this.cancelSettle?.();
    this.cancelSettle = null;
  }

  /**
   * Make the winner final if the settle window has closed, whether or not its timer has fired yet
   * (a busy event loop runs it late): a press, reset or arm arriving at or after the window's end
   * comes after the decision. Returns the current instant.
   */
  private settleIfDue(): number {
    const now = this.deps.clock.mono();
    if (this.deadline !== null && this.winner === null && now >= this.deadline && this.order.length > 0) {
      this.cancelSettle?.();
      this.cancelSettle = null;
      this.winner = this.order[0]!;
      this.deps.publish(encode.first(this.round, this.winnerOf(this.winner)));
    }
    return now;
  }

  /**
   * The settle timer. One that fires a moment early (timers and the clock disagree slightly) waits
   * again, at least 1 ms so it can never spin; presses are judged against the deadline either way.
   */
  private settleAfter(ms: number): void {
    this.cancelSettle = this.deps.clock.setTimer(ms, () => {
      this.cancelSettle = null;
      const now = this.settleIfDue();
      if (this.winner === null && this.deadline !== null) this.settleAfter(Math.max(1, this.deadline - now));
    });
  }

  private endSpan(now: number): void {
    const cur = this.spans.at(-1);
    if (cur && cur.endedAt === null) cur.endedAt = now;
  }

  private clearRound(): void {
    this.cancelSettle?.();
    this.cancelSettle = null;
    this.order = [];
    this.winner = null;
    this.deadline = null;
  }

  private entries(): OrderEntry[] {
    const t0 = this.order[0]?.at ?? 0;
    return this.order.map((e) => ({ pool: e.pool, buzzer: e.buzzer, name: this.nameOf(e.pool, e.buzzer), ts: us(e.at), gap_ms: us(e.at - t0) }));
  }

  private winnerOf(e: Entry): Winner {
    return { pool: e.pool, buzzer: e.buzzer, name: this.nameOf(e.pool, e.buzzer), ts: us(e.at) };
  }

  private publishOrder(): void {
    this.deps.publish(encode.order(this.round, this.entries()));
  }

  /**
   * Ask the store once for a name not known yet. When it answers with a name for a buzzer in the
   * current order, the order goes out again with it (a `first` already sent keeps what it said).
   */
  private lookup(pool: string, buzzer: number): Promise<void> {
    const k = key(pool, buzzer);
    if (this.names.has(k)) return Promise.resolve();
    const pending = this.lookups.get(k);
    if (pending) return pending;
    const read = this.deps.names.get(pool, buzzer).then(
      (name) => {
        this.lookups.delete(k);
        if (this.names.has(k)) return; // set_name won the race: it is newer
        this.names.set(k, name);
        if (name !== null && this.order.some((e) => e.pool === pool && e.buzzer === buzzer)) this.publishOrder();
      },
      () => {
        this.lookups.delete(k); // a failed read is retried at the next press
      },
    );
    this.lookups.set(k, read);
    return read;
  }
}

const key = (pool: string, buzzer: number) => `${buzzer}:${pool}`;
/** ms rounded to µs, as the raw events' ts. */
const us = (ms: number) => Math.round(ms * 1000) / 1000;
