// Soak driver for the buzzer mediator (docs/buzzer.md): a receiver emulator on a pseudo-terminal
// (its own process, so its serial link keeps answering the mediator's pings) presses buzzers
// 0, 1, 2 … 254, 0 … four times a second; every client of /mediator gets each buzz event. Checked
// per client: buzzer ids step by one modulo 255 (a receiver has at most 255 buzzers). Churn:
// clients leave and new ones connect.
import { Histogram, SentAt, SeqStream, Tallies } from "../lib/seq.ts";
import { Every, pick, SoakConn, type Driver } from "./common.ts";

const IDS = 255;

interface Client {
  conn: SoakConn;
  buzzes: SeqStream;
  /** The pool went away (a link reset) and has not delivered a buzz since. */
  down: boolean;
}

export class BuzzerDriver implements Driver {
  readonly name = "buzzer";
  readonly t = new Tallies();
  readonly lat = { "press → buzz event": new Histogram() };
  /**
   * Serial link resets by the mediator's watchdog (docs/buzzer.md#watchdog), as a client sees
   * them, and the buzzes that went missing across them (pressed while the link was down or being
   * reset): reported on their own, not as lost messages. Counted by a watcher that never churns.
   */
  readonly resets = { count: 0, buzzes: 0 };
  private clients: Client[] = [];
  private watcher: Client | null = null;
  private seq = -1;
  private readonly sent = new SentAt(256);
  private readonly every: Every;
  private stopped = false;

  constructor(
    private readonly port: number,
    /** Tell the emulator to press buzzer `id`. */
    private readonly press: (id: number) => void,
    periodMs = 250,
  ) {
    this.every = new Every(periodMs);
  }

  private async connect(watcher = false): Promise<Client> {
    const c: Client = { conn: null as unknown as SoakConn, buzzes: new SeqStream(this.t, IDS), down: false };
    c.conn = await SoakConn.open(this.port, "/mediator", this.t, (text) => {
      const m = JSON.parse(text) as { event?: string; buzzer?: number | null; error?: string };
      if (m.event === "buzz") {
        if (c.down) {
          // The first buzz after a link reset: the count starts again from here.
          const before = c.buzzes.last;
          c.buzzes = new SeqStream(this.t, IDS);
          c.down = false;
          if (watcher && before !== null) this.resets.buzzes += (((m.buzzer! - before - 1) % IDS) + IDS) % IDS;
        }
        if (c.buzzes.see(m.buzzer!) !== null) this.lat["press → buzz event"].since(this.sent.get(m.buzzer!));
      } else if (m.event === "disconnected" && m.buzzer === null) {
        if (watcher && !c.down) this.resets.count++;
        c.down = true;
      } else if (m.event === "connected" && (c.down || this.resets.count > 0)) {
        // the pool coming back after a reset announces its buzzers
      } else if (m.event) this.t.fault(`event ${m.event} ${m.buzzer}`);
      else if (m.error) this.t.fault(`error ${m.error}`);
    });
    this.t.connects++;
    if (!watcher) this.clients.push(c);
    return c;
  }

  async setup(n: number): Promise<void> {
    this.watcher = await this.connect(true);
    let next = 1;
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next++ < n) await this.connect();
    }));
  }

  tick(now: number): void {
    if (this.stopped || !this.every.due(now)) return;
    this.seq++;
    const id = this.seq % IDS;
    this.sent.mark(id, now);
    this.press(id);
  }

  async churn(abort: boolean): Promise<void> {
    const c = pick(this.clients);
    if (!c) return;
    this.clients.splice(this.clients.indexOf(c), 1);
    c.conn.close(abort);
    this.t.disconnects++;
    await this.connect();
  }

  stop(): void {
    this.stopped = true;
  }

  finish(): void {
    if (this.seq < 0) return;
    for (const c of [this.watcher!, ...this.clients]) if (c.conn.open && !c.down) c.buzzes.expectLast(this.seq % IDS);
  }

  live(): number {
    return [this.watcher, ...this.clients].filter((c) => c?.conn.open).length;
  }

  close(): void {
    for (const c of [this.watcher, ...this.clients]) c?.conn.close(false);
  }
}
