// Soak driver for the metronome (docs/metronome.md): groups of 25 phones; each owner sends
// update_temp once a second while its group plays, and every member (owner included) receives
// play_sound. Checked per member: the request ids K are 1, 2, 3 … (unique per connection, none
// skipped), and the bpm, which carries the owner's update counter (20 + n mod 381), steps by one.
// Every update_temp gets its reply. Churn: members leave and new phones join (a joiner to a
// playing group gets play_sound at once: its first K and its starting bpm).
import { Histogram, SentAt, SeqStream, Tallies } from "../lib/seq.ts";
import { Every, pick, SoakConn, type Driver } from "./common.ts";

const GROUP = 25;
const BPM_RANGE = 381; // 20..400
const rpc = (method: string, params: object, id: number) => JSON.stringify({ jsonrpc: "2.0", method, params, id });

interface Member {
  conn: SoakConn;
  k: SeqStream;
  bpm: SeqStream;
}

interface Group {
  id: number;
  owner: SoakConn;
  ownerMember: Member;
  members: Member[];
  seq: number;
  sent: SentAt;
  every: Every;
  nextReq: number;
  /** update_temp requests waiting for their reply, by request id. */
  waiting: Map<number, number>;
}

export class MetronomeDriver implements Driver {
  readonly name = "metronome";
  readonly t = new Tallies();
  readonly lat = { "update_temp → play_sound": new Histogram(), "update_temp → reply": new Histogram() };
  private groups: Group[] = [];
  private stopped = false;

  constructor(
    private readonly port: number,
    private readonly periodMs = 1000,
  ) {}

  /** What one member checks in each frame. */
  private onMember(m: Member, group: () => Group | null): (text: string) => void {
    return (text) => {
      if (!text.includes('"play_sound"')) {
        if (text.includes('"stop_sound"')) this.t.fault("stop_sound while playing");
        else if (text.includes('"error"')) this.t.fault("JSON-RPC error");
        else if (text.includes('"status":"error"')) this.t.fault("domain error");
        return;
      }
      const msg = JSON.parse(text) as { id: number; params: { bpm: number } };
      m.k.see(msg.id);
      // A joiner's first play_sound carries the running tempo, not a new update: no latency.
      const first = m.bpm.last === null;
      const s = m.bpm.see(msg.params.bpm - 20);
      const g = group();
      if (s !== null && g && !first) this.lat["update_temp → play_sound"].since(g.sent.get((msg.params.bpm - 20) % BPM_RANGE));
    };
  }

  private member(conn: SoakConn): Member {
    return { conn, k: new SeqStream(this.t, 0, 1), bpm: new SeqStream(this.t, BPM_RANGE) };
  }

  private async joinMember(g: Group): Promise<void> {
    const m = this.member(null as unknown as SoakConn);
    m.conn = await SoakConn.open(this.port, "/connect", this.t, this.onMember(m, () => g), [
      rpc("get_id", { time_utc: Date.now() }, 1),
      rpc("subscribe_to_group", { group_id: g.id }, 2),
    ]);
    this.t.connects++;
    g.members.push(m);
  }

  private async newGroup(): Promise<Group> {
    const replies = new Map<number, (r: { result?: { status: string; client_id?: number } }) => void>();
    let group: Group | null = null;
    const ownerMember = this.member(null as unknown as SoakConn);
    const play = this.onMember(ownerMember, () => group);
    const conn = await SoakConn.open(this.port, "/connect", this.t, (text) => {
      if (text.includes('"play_sound"')) return play(text);
      const r = JSON.parse(text) as { id: number | null; result?: { status: string; client_id?: number } };
      if (r.id === null) return; // the greeting
      const wait = group?.waiting.get(r.id);
      if (group && wait !== undefined) {
        group.waiting.delete(r.id);
        if (r.result?.status !== "success") this.t.fault("update_temp refused");
        this.lat["update_temp → reply"].since(wait);
        return;
      }
      replies.get(r.id)?.(r);
    });
    ownerMember.conn = conn;
    const call = (method: string, params: object, id: number) =>
      new Promise<{ result?: { status: string; client_id?: number } }>((resolve) => {
        replies.set(id, resolve);
        conn.send(rpc(method, params, id));
      });
    const me = (await call("get_id", { time_utc: Date.now() }, 1)).result?.client_id;
    if (typeof me !== "number") throw new Error("metronome: get_id failed");
    await call("create_group", { time_utc: Date.now() }, 2);
    const g: Group = { id: me, owner: conn, ownerMember, members: [], seq: 0, sent: new SentAt(512), every: new Every(this.periodMs), nextReq: 10, waiting: new Map() };
    g.sent.mark(0);
    const started = await call("start_metronome", { group_id: me, current_client_ts: Date.now(), bpm: 20 }, 3);
    if (started.result?.status !== "success") throw new Error("metronome: start_metronome failed");
    group = g;
    return g;
  }

  async setup(n: number): Promise<void> {
    const count = Math.max(1, Math.round(n / GROUP));
    for (let i = 0; i < count; i++) this.groups.push(await this.newGroup());
    // Members: the rest of the share, spread over the groups, 32 handshakes at a time.
    const want = n - count;
    const jobs = Array.from({ length: want }, (_, i) => this.groups[i % count]!);
    let next = 0;
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < jobs.length) await this.joinMember(jobs[next++]!);
    }));
  }

  tick(now: number): void {
    if (this.stopped) return;
    for (const g of this.groups) {
      if (!g.every.due(now)) continue;
      g.seq++;
      const id = g.nextReq++;
      g.sent.mark(g.seq % BPM_RANGE, now);
      g.waiting.set(id, now);
      g.owner.send(rpc("update_temp", { group_id: g.id, current_client_ts: Date.now(), bpm: 20 + (g.seq % BPM_RANGE) }, id));
    }
  }

  async churn(abort: boolean): Promise<void> {
    const g = pick(this.groups);
    if (!g || g.members.length === 0) return;
    const i = Math.floor(Math.random() * g.members.length);
    const [gone] = g.members.splice(i, 1);
    gone!.conn.close(abort);
    this.t.disconnects++;
    await this.joinMember(g);
  }

  stop(): void {
    this.stopped = true;
  }

  finish(): void {
    for (const g of this.groups) {
      for (const m of [g.ownerMember, ...g.members]) if (m.conn.open) m.bpm.expectLast(g.seq % BPM_RANGE);
      if (g.waiting.size) this.t.lost += g.waiting.size; // update_temp without a reply
    }
  }

  live(): number {
    return this.groups.reduce((n, g) => n + 1 + g.members.filter((m) => m.conn.open).length, 0);
  }

  close(): void {
    for (const g of this.groups) {
      for (const m of g.members) m.conn.close(false);
      g.owner.close(false);
    }
  }
}
