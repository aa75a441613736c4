// The clicker relay's state and rules (docs/clicker.md), draft-1 and draft-2 at once. Pure: it
// sees connections through Conn, fans out through Topics, and keeps durable data behind
// ClickerStore.
//
// Each connection's commands run one at a time, in arrival order, so replies come back in the
// order the commands were sent even though the store answers asynchronously. Scores are group
// committed (batch.ts): every SCORE that arrives in one event-loop turn goes into one batch, the
// batch is written in one transaction, and only then are its SCORED replies and broadcasts sent.
//
// Listeners speak the draft of the command that made them listeners: LISTEN (draft-1) or
// SUBSCRIBE (draft-2). Each sender id has one topic per draft, and a new score is published to
// each draft's topic in that draft's word order, whichever draft the sender spoke.
import type { Logger } from "../../log.ts";
import { Close } from "../../transport/close-codes.ts";
import type { Conn, Topics } from "../../transport/types.ts";
import { Audience, topicOf } from "./audience.ts";
import { pending, reason, ScoreBatches, type Batch, type Pending } from "./batch.ts";
import { fmt, parse, type Command, type Draft, type Score } from "./codec.ts";
import { Says, type ParseError } from "./errors.ts";
import type { IssueLimit } from "./issue-limit.ts";
import type { ClickerStore, Registration, ScoreRecord } from "./store.ts";

export { topicOf } from "./audience.ts";

const NONE_STORED: ReadonlyMap<string, ScoreRecord> = new Map();

/** One connection's clicker state (conn.state): a sender, a listener, or both. */
export interface ClickerClient {
  conn: Conn<ClickerClient>;
  /** The client's address (docs/access.md#behind-a-reverse-proxy): new secrets are counted per address. */
  ip: string;
  queue: (Command | ParseError)[];
  busy: boolean;
  closed: boolean;
  /** The id this connection sends as, while it holds it. */
  senderId: string | null;
  secret: string | null;
  /** The ids of its last LISTEN or SUBSCRIBE (a connection may both send and listen). */
  listening: string[];
  /** Which of the two it was: the draft of the broadcasts it gets. */
  draft: Draft;
  /** The last batch holding its scores, until that batch's replies have been sent. */
  batch: Batch | null;
}

interface Sender {
  peer: ClickerClient;
  /** topicOf(id, 1) and topicOf(id, 2), built once per registration rather than once per broadcast. */
  topic: string;
  topic2: string;
  /** Newest score stored while this id is live: wins over a store read that raced with it. */
  latest: ScoreRecord | null;
}

export interface ClickerHubDeps {
  store: ClickerStore;
  topics: Topics;
  /** Runs fn after the messages of the current event-loop turn have been handled. */
  defer(fn: () => void): void;
  log: Logger;
  /** Called for each ERROR reply (the protocol's error counter). */
  onError?(): void;
  /** New secrets per client address (docs/clicker.md#caps); absent: no limit. */
  newIds?: IssueLimit;
  /** Ids one LISTEN or SUBSCRIBE may name (docs/clicker.md#caps); absent: no limit. */
  maxIdsPerListen?: number;
}

export class ClickerHub {
  /** Every open connection's state (for the listeners gauge); each one's is also its conn.state. */
  private readonly clients = new Set<ClickerClient>();
  private readonly senders = new Map<string, Sender>();
  private readonly audience = new Audience();
  private readonly batches: ScoreBatches;

  constructor(private readonly deps: ClickerHubDeps) {
    this.batches = new ScoreBatches(deps, (item) => this.stored(item));
  }

  /** Live registered senders (one per id). */
  senderCount(): number {
    return this.senders.size;
  }
  /** Connections with a non-empty LISTEN set. */
  listenerCount(): number {
    let n = 0;
    for (const p of this.clients) if (p.listening.length) n++;
    return n;
  }
  isLive(id: string): boolean {
    return this.senders.has(id);
  }
  /** Each live sender's id and the newest score stored while it is live (for the status feed). */
  *liveSenders(): Generator<{ id: string; latest: ScoreRecord | null }> {
    for (const [id, s] of this.senders) yield { id, latest: s.latest };
  }

  /** A new connection's state; `ip`: its client's address. */
  open(conn: Conn<ClickerClient>, ip = ""): ClickerClient {
    const p: ClickerClient = { conn, ip, queue: [], busy: false, closed: false, senderId: null, secret: null, listening: [], draft: 1, batch: null };
    this.clients.add(p);
    return p;
  }

  message(p: ClickerClient, frame: string | Uint8Array): void {
    if (p.closed) return;
    const cmd = parse(frame, this.deps.maxIdsPerListen);
    // A SCORE with nothing of this connection's ahead of it but scores in the open batch joins
    // that batch straight away (no queue, no promise): the common case, one score per press.
    // Its reply still comes after everything sent before it.
    if (cmd.kind === "score" && p.queue.length === 0 && p.senderId !== null && (p.batch === null ? !p.busy : p.batch === this.batches.filling)) {
      (p.batch = this.batches.current()).items.push(pending(p, p.senderId, cmd));
      return;
    }
    p.queue.push(cmd);
    // A failure in there is a bug, not bad input: the seam logs it and closes with 1011.
    p.conn.watch(this.pump(p));
  }

  close(p: ClickerClient): void {
    if (!this.clients.delete(p)) return;
    this.retire(p);
    this.release(p);
    this.audience.add(p.listening, p.draft, -1);
    p.listening = [];
  }

  /** The connection stops sending as its id (socket closed, or it registered as another id). */
  private release(p: ClickerClient): void {
    const id = p.senderId;
    p.senderId = p.secret = null;
    // Only the socket that holds the id announces its departure: a socket replaced by a newer
    // registration of the same id must not tell listeners the id went away.
    if (id !== null && this.senders.get(id)?.peer === p) {
      this.senders.delete(id);
      this.announce(id, fmt.disconnect(id));
      this.idle(id);
    }
  }

  /** No connection holds the id any more: the store records its last use (and may issue it again one day). */
  private idle(id: string): void {
    this.deps.store.release(id).catch((err: unknown) => this.deps.log.debug("clicker: release failed", { id, err: (err as Error).message }));
  }

  /** CONNECT / DISCONNECT: the same line in both drafts. */
  private announce(id: string, line: string): void {
    this.deps.topics.publish(topicOf(id, 1), line);
    this.deps.topics.publish(topicOf(id, 2), line);
  }

  /** Commit whatever is waiting and wait for commits in flight (server shutdown). */
  stop(): Promise<void> {
    return this.batches.stop();
  }

  private retire(p: ClickerClient): void {
    p.closed = true;
    p.queue.length = 0;
  }

  /** Runs a connection's queued commands in order; at most one pump per connection. */
  private async pump(p: ClickerClient): Promise<void> {
    if (p.busy) return;
    p.busy = true;
    try {
      while (p.queue.length && !p.closed) {
        // Scores already in a batch are answered before anything sent after them.
        if (p.batch !== null) {
          await p.batch.done;
          continue;
        }
        const head = p.queue[0]!;
        if (head.kind === "score") {
          // Consecutive scores of one connection share a batch: a burst costs one commit.
          let n = 1;
          while (p.queue[n]?.kind === "score") n++;
          await this.scores(p, p.queue.splice(0, n) as Score[]);
          continue;
        }
        p.queue.shift();
        if (head.kind === "error") this.fail(p, head);
        else if (head.kind === "register") await this.register(p, head.secret);
        else await this.listen(p, head.ids, head.kind === "listen" ? 1 : 2);
      }
    } finally {
      p.busy = false;
    }
  }

  private fail(p: ClickerClient, e: Pick<ParseError, "code" | "message">): void {
    this.deps.onError?.();
    p.conn.send(fmt.error(e.code, e.message));
  }

  /**
   * REGISTER (docs/clicker.md#register). Every REGISTER is answered as the contract says, also on a
   * connection that is already registered: its own secret repeats the registration; no secret or an
   * unknown one gets a fresh id, another device's secret takes that id over, and either way the old
   * id leaves.
   */
  private async register(p: ClickerClient, secret: string | null): Promise<void> {
    if (p.senderId !== null && p.secret !== null && secret !== null && secret.toLowerCase() === p.secret) {
      p.conn.send(fmt.registered(p.senderId, p.secret));
      return;
    }
    // A new secret is counted against the address (docs/clicker.md#caps); a known one never is.
    const limit = this.deps.newIds;
    const allowNew = limit?.take(p.ip) ?? true;
    let reg: Registration | null;
    try {
      reg = await this.deps.store.register(secret, allowNew);
    } catch (err) {
      if (allowNew) limit?.giveBack(p.ip);
      this.deps.log.debug("clicker: register failed", { err: (err as Error).message });
      return this.fail(p, { code: "storage_unavailable", message: Says.notStored(reason(err)) });
    }
    if (allowNew && !(reg && !reg.known)) limit?.giveBack(p.ip);
    if (reg === null) {
      const message = allowNew ? Says.noFreeId : Says.tooManyNewIds(limit!.retryAfterS(p.ip));
      return this.fail(p, { code: "too_many_new_ids", message });
    }
    if (p.closed) {
      if (!this.senders.has(reg.id)) this.idle(reg.id); // nobody took it up
      return;
    }
    this.release(p);
    const prev = this.senders.get(reg.id);
    p.senderId = reg.id;
    p.secret = reg.secret;
    this.senders.set(reg.id, { peer: p, topic: topicOf(reg.id, 1), topic2: topicOf(reg.id, 2), latest: null });
    p.conn.send(fmt.registered(reg.id, reg.secret));
    this.deps.log.debug("clicker registered", { id: reg.id, conn: p.conn.id, known: reg.known, replaced: prev?.peer.conn.id });
    this.announce(reg.id, fmt.connect([reg.id]));
    if (prev && prev.peer !== p) {
      // The device came back before its old TCP connection died: the newer socket keeps the id.
      this.retire(prev.peer);
      prev.peer.senderId = prev.peer.secret = null;
      prev.peer.conn.close(Close.replaced, "this id registered again on another connection");
    }
  }

  /**
   * SCORE: durable first, then SCORED; a retry (draft-1: a stored (id, timestamp); draft-2: a
   * stored (id, msgId)) is acknowledged, not broadcast.
   */
  private async scores(p: ClickerClient, scores: Score[]): Promise<void> {
    const id = p.senderId;
    if (id === null) {
      for (let i = 0; i < scores.length; i++) this.fail(p, { code: "not_registered", message: Says.registerFirst });
      return;
    }
    const batch = this.batches.current();
    for (const s of scores) batch.items.push(pending(p, id, s));
    p.batch = batch;
    await batch.done;
  }

  /** A new score is stored (after its SCORED): it is its id's latest, and its listeners get it. */
  private stored(item: Pending): void {
    const { cmd } = item;
    const sender = this.senders.get(item.id);
    if (sender) sender.latest = item;
    const audience = this.audience.of(item.id);
    if (!audience) return;
    if (audience[0]) this.deps.topics.publish(sender?.topic ?? topicOf(item.id, 1), fmt.score(cmd.tsText, item.id, cmd.scoreText));
    if (audience[1]) this.deps.topics.publish(sender?.topic2 ?? topicOf(item.id, 2), fmt.score2(cmd.tsText, item.id, cmd.scoreText));
  }

  /**
   * LISTEN / SUBSCRIBE: replace the set (and the draft), reply CONNECT with the live subset, then
   * each one's latest score in the listener's draft.
   */
  private async listen(p: ClickerClient, ids: string[], draft: Draft): Promise<void> {
    // One read, for the ids whose latest score this process has not seen (an id may come online
    // while it runs, so not only the live ones). Without the database the catch-up has only what
    // this process saw; the LISTEN still holds.
    const unseen = ids.filter((id) => !this.senders.get(id)?.latest);
    const stored = !unseen.length
      ? NONE_STORED
      : await this.deps.store.latest(unseen).catch((err: unknown) => {
          this.deps.log.debug("clicker: reading the latest scores failed", { err: (err as Error).message });
          return NONE_STORED;
        });
    if (p.closed) return;
    // From here on nothing awaits, so no broadcast can slip between the catch-up and the
    // subscription: the listener sees every later change exactly once. Only the ids that change
    // are subscribed, unsubscribed and counted.
    this.audience.move(p.conn, p.listening, p.draft, ids, draft);
    p.listening = ids;
    p.draft = draft;
    const live = ids.filter((id) => this.senders.has(id));
    p.conn.send(fmt.connect(live));
    const line = draft === 1 ? fmt.score : fmt.score2;
    for (const id of live) {
      const rec = this.senders.get(id)?.latest ?? stored.get(id);
      if (rec) p.conn.send(line(rec.ts, id, rec.score));
    }
  }
}
