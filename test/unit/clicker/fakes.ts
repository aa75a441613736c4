// Fakes for the clicker relay's unit tests: connections and topics without sockets, an
// in-memory store whose answers can be held back, and a manual event-loop turn.
import type { ClickerStore, Registration, ScoreRecord, SenderGaps } from "../../../src/protocols/clicker/store.ts";

// The generic connection/topic fakes are shared by every protocol's unit tests.
import { FakeConn, settle } from "../../helpers/fakes.ts";
export { FakeConn, FakeHub, settle } from "../../helpers/fakes.ts";

/** A FakeConn that can cork: frames sent inside cork() arrive when it returns, as one group. */
export class CorkingConn extends FakeConn {
  /** The frames of each cork() call. */
  readonly corked: string[][] = [];
  private held: string[] | null = null;
  override send(data: string): void {
    if (this.held) this.held.push(data);
    else super.send(data);
  }
  override cork(fn: () => void): void {
    const held: string[] = (this.held = []);
    try {
      fn();
    } finally {
      this.held = null;
    }
    this.corked.push(held);
    for (const d of held) super.send(d);
  }
}

/** Deferred callbacks run only when the test says the event-loop turn is over. */
export class ManualTurns {
  private queue: Array<() => void> = [];
  defer = (fn: () => void): void => {
    this.queue.push(fn);
  };
  get pending(): number {
    return this.queue.length;
  }
  /** End the turn: run what was deferred, then let the promise continuations settle. */
  async endTurn(): Promise<void> {
    const q = this.queue.splice(0);
    for (const f of q) f();
    await settle();
  }
}


type Gate = { release: () => void; wait: Promise<void> };
const gate = (): Gate => {
  let release!: () => void;
  const wait = new Promise<void>((r) => (release = r));
  return { release, wait };
};

/** In-memory ClickerStore. hold() makes the next calls wait until letGo(). */
export class MemoryStore implements ClickerStore {
  readonly secrets = new Map<string, string>();
  readonly scores: ScoreRecord[] = [];
  readonly batches: number[] = [];
  failNext = false;
  private held: Gate | null = null;
  private n = 0;

  hold(): void {
    this.held = gate();
  }
  letGo(): void {
    const g = this.held;
    this.held = null;
    g?.release();
  }
  private async wait(): Promise<void> {
    if (this.held) await this.held.wait;
  }

  /** Ids released by the relay (their connections ended), in order. */
  readonly released: string[] = [];
  async register(secret: string | null, allowNew = true): Promise<Registration | null> {
    await this.wait();
    const known = secret !== null ? this.secrets.get(secret) : undefined;
    if (known) return { id: known, secret: secret!, known: true };
    if (!allowNew) return null;
    const id = String(100000 + ++this.n);
    const fresh = `s${id}`.padEnd(32, "0");
    this.secrets.set(fresh, id);
    return { id, secret: fresh, known: false };
  }
  async release(id: string): Promise<void> {
    this.released.push(id);
  }
  async saveScores(batch: readonly ScoreRecord[]): Promise<boolean[]> {
    await this.wait();
    if (this.failNext) {
      this.failNext = false;
      throw new Error("disk full");
    }
    this.batches.push(batch.length);
    // Retry keys: (id, ts) among draft-1 scores, (id, msgId) among draft-2 ones.
    const same = (x: ScoreRecord, s: ScoreRecord) => x.id === s.id && (s.msgId == null ? x.msgId == null && x.ts === s.ts : x.msgId === s.msgId);
    return batch.map((s) => {
      if (this.scores.some((x) => same(x, s))) return false;
      this.scores.push(s.msgId == null ? { id: s.id, ts: s.ts, score: s.score } : { id: s.id, ts: s.ts, score: s.score, msgId: s.msgId });
      return true;
    });
  }
  /** Gaps are the SQLite store's (its own tests); this fake keeps none. */
  async gaps(): Promise<Map<string, SenderGaps>> {
    return new Map();
  }
  async latest(ids: readonly string[]): Promise<Map<string, ScoreRecord>> {
    await this.wait();
    const out = new Map<string, ScoreRecord>();
    for (const id of ids) {
      const last = this.scores.findLast((s) => s.id === id);
      if (last) out.set(id, last);
    }
    return out;
  }
}
