// Soak driver for the watch party (docs/syncparty.md): rooms of 50; each host sends state_update
// once a second with `position` = its update counter, relayed to every other participant.
// Checked per viewer: positions step by one from the first it sees after joining. Churn: viewers
// leave and new ones join (the room gets client_joined / client_left and participants_update).
import { Histogram, SentAt, SeqStream, Tallies } from "../lib/seq.ts";
import { Every, pick, SoakConn, type Driver } from "./common.ts";

const ROOM = 50;
const PATH = "/OpenSyncParty/ws";
const env = (type: string, room: string, client: string, payload: object) => JSON.stringify({ type, room, client, payload, ts: Date.now() });

interface Viewer {
  conn: SoakConn;
  positions: SeqStream;
}
interface Room {
  id: string;
  host: SoakConn;
  viewers: Viewer[];
  seq: number;
  sent: SentAt;
  every: Every;
  joins: number;
}

export class PartyDriver implements Driver {
  readonly name = "watch party";
  readonly t = new Tallies();
  readonly lat = { "state_update → others": new Histogram() };
  private rooms: Room[] = [];
  private stopped = false;

  constructor(
    private readonly port: number,
    private readonly periodMs = 1000,
    private readonly tag = `soak${process.pid}`,
  ) {}

  private async join(r: Room): Promise<void> {
    const v: Viewer = { conn: null as unknown as SoakConn, positions: new SeqStream(this.t) };
    let joined!: () => void;
    const seated = new Promise<void>((res) => (joined = res));
    const client = `v${r.joins++}`;
    v.conn = await SoakConn.open(this.port, PATH, this.t, (text) => {
      const m = JSON.parse(text) as { type: string; payload: { position?: number; code?: string } };
      if (m.type === "state_update") {
        if (v.positions.see(m.payload.position!) !== null) this.lat["state_update → others"].since(r.sent.get(m.payload.position!));
      } else if (m.type === "room_state") joined();
      else if (m.type === "error") {
        this.t.fault(`error ${m.payload.code}`);
        joined(); // a refused join ends the wait too (counted above)
      }
    }, [env("join_room", r.id, client, { name: client })]);
    this.t.connects++;
    r.viewers.push(v);
    await seated;
  }

  private async newRoom(i: number): Promise<Room> {
    const id = `${this.tag}-${i}`;
    let created!: (ok: boolean) => void;
    const ready = new Promise<boolean>((res) => (created = res));
    const host = await SoakConn.open(this.port, PATH, this.t, (text) => {
      if (text.includes('"room_state"')) created(true);
      else if (text.includes('"error"')) {
        this.t.fault("host error");
        created(false);
      }
    }, [env("create_room", id, "host", { media_url: "https://example.org/soak.mp4", name: "host" })]);
    if (!(await ready)) throw new Error(`watch party: create_room ${id} failed`);
    return { id, host, viewers: [], seq: 0, sent: new SentAt(512), every: new Every(this.periodMs), joins: 0 };
  }

  async setup(n: number): Promise<void> {
    const count = Math.max(1, Math.round(n / ROOM));
    for (let i = 0; i < count; i++) this.rooms.push(await this.newRoom(i));
    const jobs = Array.from({ length: n - count }, (_, i) => this.rooms[i % count]!);
    let next = 0;
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < jobs.length) await this.join(jobs[next++]!);
    }));
  }

  tick(now: number): void {
    if (this.stopped) return;
    for (const r of this.rooms) {
      if (!r.every.due(now)) continue;
      r.seq++;
      r.sent.mark(r.seq, now);
      r.host.send(env("state_update", r.id, "host", { position: r.seq, play_state: "playing" }));
    }
  }

  async churn(abort: boolean): Promise<void> {
    const r = pick(this.rooms);
    if (!r || r.viewers.length === 0) return;
    const [gone] = r.viewers.splice(Math.floor(Math.random() * r.viewers.length), 1);
    gone!.conn.close(abort);
    this.t.disconnects++;
    await this.join(r);
  }

  stop(): void {
    this.stopped = true;
  }

  finish(): void {
    for (const r of this.rooms) for (const v of r.viewers) if (v.conn.open) v.positions.expectLast(r.seq);
  }

  live(): number {
    return this.rooms.reduce((n, r) => n + 1 + r.viewers.filter((v) => v.conn.open).length, 0);
  }

  close(): void {
    for (const r of this.rooms) {
      for (const v of r.viewers) v.conn.close(false);
      r.host.close(false);
    }
  }
}
