// Clicker simulator (docs/clicker.md#simulator): N clickers pressing at R presses/s each for S seconds,
// and one scoreboard listening to all of them and printing the tally.
//
//   bun scripts/clicker-sim.ts --url ws://127.0.0.1:8080/ws --clickers 10 --rate 5 --seconds 10
//
// At the end it prints totals and the p50/p95/p99 latency of REGISTER→REGISTERED,
// SCORE→SCORED and SCORE→broadcast at the scoreboard. --flood F adds one clicker pressing F
// times a second, to see how much a flood delays the others (the server's --rate-limit must
// allow F). The pieces are exported for the benchmarks.
import { parseArgs } from "node:util";

export interface SimOptions {
  url: string;
  clickers: number;
  /** Presses per second, per clicker. */
  rate: number;
  seconds: number;
  /** Presses per second of one extra "flooding" clicker (0: none); reported separately. */
  flood?: number;
  /** Called about once a second with the scoreboard's tally (id → latest score). */
  onTally?: (tally: Map<string, number>, elapsedS: number) => void;
}

export interface Percentiles {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface SimResult {
  clickers: number;
  presses: number;
  acked: number;
  /** SCORE broadcasts the scoreboard received. */
  broadcasts: number;
  errors: string[];
  /** Clickers whose final count the scoreboard shows. */
  tallyMatches: number;
  tally: Map<string, number>;
  registerMs: Percentiles;
  scoredMs: Percentiles;
  broadcastMs: Percentiles;
  /** The flooding clicker's own SCORE→SCORED (n=0 without --flood). */
  floodScoredMs: Percentiles;
  elapsedS: number;
}

/** Nearest-rank percentiles of samples in ms. */
export function percentiles(samples: number[]): Percentiles {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]! : NaN);
  return { n: s.length, p50: at(50), p95: at(95), p99: at(99), max: s.length ? s[s.length - 1]! : NaN };
}

/** Opens a WebSocket and resolves once it is open. */
export function openSocket(url: string, timeoutMs = 5000): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const t = setTimeout(() => reject(new Error(`open ${url} timed out`)), timeoutMs);
    ws.onopen = () => (clearTimeout(t), resolve(ws));
    ws.onerror = () => (clearTimeout(t), reject(new Error(`could not open ${url}`)));
  });
}

/** One clicker: registers, then presses at `rate` for `seconds`, timing every acknowledgement. */
export class SimClicker {
  id = "";
  count = 0;
  acked = 0;
  registerMs = NaN;
  readonly scoredMs: number[] = [];
  readonly errors: string[] = [];
  /** Send time (performance.now) by timestamp, until SCORED comes back. */
  readonly pending = new Map<number, number>();
  private lastTs = -1;
  private registered!: () => void;

  private constructor(readonly ws: WebSocket) {
    ws.onmessage = (e) => this.onFrame(String(e.data));
  }

  static async connect(url: string): Promise<SimClicker> {
    const c = new SimClicker(await openSocket(url));
    const t0 = performance.now();
    const done = new Promise<void>((r) => (c.registered = r));
    c.ws.send("REGISTER");
    await done;
    c.registerMs = performance.now() - t0;
    return c;
  }

  private onFrame(text: string): void {
    const [verb, a] = text.split(" ");
    if (verb === "REGISTERED") {
      this.id = a ?? "";
      this.registered();
    } else if (verb === "SCORED") {
      const sentAt = this.pending.get(Number(a));
      if (sentAt === undefined) return;
      this.pending.delete(Number(a));
      this.acked++;
      this.scoredMs.push(performance.now() - sentAt);
    } else if (verb === "ERROR") this.errors.push(text);
  }

  /** One press: the timestamp is a 32-bit ms counter like the device's, never repeated. */
  press(sent: Map<string, number>): void {
    const ts = Math.max(this.lastTs + 1, Math.floor(performance.now()) % 2 ** 32);
    this.lastTs = ts;
    this.count++;
    const now = performance.now();
    this.pending.set(ts, now);
    sent.set(`${this.id} ${ts}`, now);
    this.ws.send(`SCORE ${ts} ${this.count}`);
  }
}

/** The scoreboard: LISTEN to ids, keep the tally, time each broadcast against its press. */
export class SimListener {
  readonly tally = new Map<string, number>();
  readonly broadcastMs: number[] = [];
  broadcasts = 0;
  readonly errors: string[] = [];
  private connected = () => {};

  private constructor(readonly ws: WebSocket, private readonly sent: Map<string, number>) {
    ws.onmessage = (e) => this.onFrame(String(e.data));
  }

  static async connect(url: string, ids: string[], sent: Map<string, number>): Promise<SimListener> {
    const l = new SimListener(await openSocket(url), sent);
    const connected = new Promise<void>((r) => (l.connected = r));
    l.ws.send(`LISTEN ${ids.join(",")}`);
    await connected;
    return l;
  }

  private onFrame(text: string): void {
    const [verb, ts, id, score] = text.split(" ");
    if (verb === "SCORE" && id && score !== undefined) {
      this.broadcasts++;
      this.tally.set(id, Number(score));
      const sentAt = this.sent.get(`${id} ${ts}`);
      if (sentAt !== undefined) this.broadcastMs.push(performance.now() - sentAt);
    } else if (verb === "CONNECT") this.connected();
    else if (verb === "ERROR") this.errors.push(text);
  }
}

/** Runs the whole simulation and returns its numbers; closes every socket it opened. */
export async function simulate(opts: SimOptions): Promise<SimResult> {
  const sent = new Map<string, number>();
  const clickers = await Promise.all(Array.from({ length: opts.clickers }, () => SimClicker.connect(opts.url)));
  const flooder = opts.flood ? await SimClicker.connect(opts.url) : null;
  const all = flooder ? [...clickers, flooder] : clickers;
  const listener = await SimListener.connect(opts.url, all.map((c) => c.id), sent);
  // Presses are due at i / rate seconds; a coarse timer sends whatever is due, so rates above
  // the timer resolution still come out right on average.
  const groups = [{ members: clickers, rate: opts.rate, done: 0 }];
  if (flooder && opts.flood) groups.push({ members: [flooder], rate: opts.flood, done: 0 });
  const t0 = performance.now();
  const tickMs = Math.max(1, Math.min(50, 1000 / Math.max(...groups.map((g) => g.rate))));
  let lastReport = t0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      let finished = true;
      for (const g of groups) {
        const total = Math.round(g.rate * opts.seconds);
        const due = Math.min(total, Math.floor(((now - t0) / 1000) * g.rate) + 1);
        for (; g.done < due; g.done++) for (const c of g.members) c.press(sent);
        if (g.done < total) finished = false;
      }
      if (opts.onTally && now - lastReport >= 1000) {
        lastReport = now;
        opts.onTally(listener.tally, (now - t0) / 1000);
      }
      if (finished) clearInterval(timer), resolve();
    }, tickMs);
  });
  // Wait for the last acknowledgements and broadcasts (bounded).
  const deadline = performance.now() + 5000;
  const settled = () => all.every((c) => c.pending.size === 0 && listener.tally.get(c.id) === c.count);
  while (!settled() && performance.now() < deadline) await Bun.sleep(20);
  const elapsedS = (performance.now() - t0) / 1000;
  opts.onTally?.(listener.tally, elapsedS);
  for (const c of all) c.ws.close();
  listener.ws.close();
  return {
    clickers: all.length,
    presses: all.reduce((n, c) => n + c.count, 0),
    acked: all.reduce((n, c) => n + c.acked, 0),
    broadcasts: listener.broadcasts,
    errors: [...all.flatMap((c) => c.errors), ...listener.errors],
    tallyMatches: all.filter((c) => listener.tally.get(c.id) === c.count).length,
    tally: listener.tally,
    registerMs: percentiles(all.map((c) => c.registerMs)),
    scoredMs: percentiles(clickers.flatMap((c) => c.scoredMs)),
    broadcastMs: percentiles(listener.broadcastMs),
    floodScoredMs: percentiles(flooder?.scoredMs ?? []),
    elapsedS,
  };
}

export function parseSimArgs(argv: string[]): SimOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: "string", default: "ws://127.0.0.1:8080/ws" },
      clickers: { type: "string", default: "5" },
      rate: { type: "string", default: "2" },
      seconds: { type: "string", default: "10" },
      flood: { type: "string", default: "0" },
    },
    strict: true,
  });
  const num = (name: string, v: string | undefined, max: number) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0 || n > max) throw new Error(`--${name} must be a number in (0, ${max}], got ${v}`);
    return n;
  };
  return {
    url: values.url!,
    clickers: Math.floor(num("clickers", values.clickers, 10_000)),
    rate: num("rate", values.rate, 10_000),
    seconds: num("seconds", values.seconds, 3600),
    flood: values.flood === "0" ? 0 : num("flood", values.flood, 100_000),
  };
}

const ms = (p: Percentiles) => `p50 ${p.p50.toFixed(2)} ms  p95 ${p.p95.toFixed(2)} ms  p99 ${p.p99.toFixed(2)} ms  (n=${p.n})`;

export function report(r: SimResult): string {
  return [
    `clickers ${r.clickers}  presses ${r.presses}  SCORED ${r.acked}  broadcasts ${r.broadcasts}  tallies matching ${r.tallyMatches}/${r.clickers}  in ${r.elapsedS.toFixed(1)} s`,
    `REGISTER→REGISTERED  ${ms(r.registerMs)}`,
    `SCORE→SCORED         ${ms(r.scoredMs)}${r.floodScoredMs.n ? "  (the others, while one floods)" : ""}`,
    ...(r.floodScoredMs.n ? [`flood SCORE→SCORED   ${ms(r.floodScoredMs)}`] : []),
    `SCORE→broadcast      ${ms(r.broadcastMs)}`,
    ...(r.errors.length ? [`errors ${r.errors.length}, first: ${r.errors[0]}`] : []),
  ].join("\n");
}

if (import.meta.main) {
  let opts: SimOptions;
  try {
    opts = parseSimArgs(Bun.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const r = await simulate({
    ...opts,
    onTally: (tally, t) => console.log(`[${t.toFixed(1)} s] ` + [...tally].map(([id, n]) => `${id}:${n}`).join(" ")),
  });
  console.log(report(r));
  process.exit(r.acked === r.presses && r.tallyMatches === r.clickers ? 0 : 1);
}
