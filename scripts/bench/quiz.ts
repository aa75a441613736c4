// Quiz night measured (docs/bench.md#quiz-night): press → board latency for a serial receiver
// and for a phone, and how often phones pressing 10 ms apart are ordered right under network jitter.
//
//   bun scripts/bench/quiz.ts [--presses 100] [--trials 40] [--quick]
//   bun scripts/bench/run.ts quiz               (as part of the suite)
//
// The server is a child process (the real src/server.ts), the receiver an emulator on a pty in this
// process, the board the real /quiz page in headless Chromium (Debian's chromium, installed when
// missing), the phones scripts/lib/phone-client.ts, behind scripts/lib/delay-proxy.ts for the
// ordering trials. Everything on 127.0.0.1; every loop is bounded in count and time.
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { BrowserSession } from "../../test/helpers/browser.ts";
import { ReceiverEmulator } from "../buzzer-emulator.ts";
import { delayProxy, seeded, type DelayProxy } from "../lib/delay-proxy.ts";
import { PhoneClient } from "../lib/phone-client.ts";
import { startServer, type Running } from "./lib/servers.ts";
import { latency, type Latency } from "./lib/stats.ts";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface QuizBenchOptions {
  /** Presses per latency series. */
  presses: number;
  /** Races per jitter level. */
  trials: number;
  /** One-way jitter levels for the ordering trials (ms). */
  jitters: number[];
}
export const defaultQuizOptions: QuizBenchOptions = { presses: 100, trials: 40, jitters: [5, 20] };

export interface QuizBenchResult {
  serialWs: Latency;
  serialBoard: Latency;
  phoneWs: Latency;
  phoneBoard: Latency;
  ordering: { jitterMs: number; right: number; trials: number; gapErrP50: number; gapErrMax: number }[];
  slowLink: { right: number; trials: number };
}

const TOKEN = "bench-operator-token-0123456789abcdef";
type Frame = Record<string, any>;

/** An operator's /mediator client that keeps every frame and can wait for one. */
class Operator {
  private frames: Frame[] = [];
  private waiters: Array<() => void> = [];
  private constructor(readonly ws: WebSocket) {
    ws.onmessage = (e) => {
      this.frames.push(JSON.parse(String(e.data)));
      for (const w of this.waiters.splice(0)) w();
    };
  }
  static async open(port: number): Promise<Operator> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/mediator`, { headers: { authorization: `Bearer ${TOKEN}` } } as unknown as string[]);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("operator client could not connect"));
    });
    return new Operator(ws);
  }
  send(f: object): void {
    this.ws.send(JSON.stringify(f));
  }
  /** The first frame (kept or to come) matching pred; it and everything before it are dropped. */
  async until(pred: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const end = performance.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) return this.frames.splice(0, i + 1)[i]!;
      const left = end - performance.now();
      if (left <= 0) throw new Error("bench: timed out waiting for a frame");
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
  async arm(): Promise<number> {
    this.send({ command: "arm" });
    return (await this.until((f) => f.result === "arm")).round;
  }
  async reset(): Promise<void> {
    this.send({ command: "reset" });
    await this.until((f) => f.result === "reset");
  }
  close(): void {
    this.ws.close();
  }
}

/** The board in Chromium, reporting (through a binding) the first animation frame after the first press of a round appears. */
async function openBoard(port: number): Promise<{ session: BrowserSession; shown: () => Promise<number> }> {
  const session = await BrowserSession.open();
  let resolve: ((t: number) => void) | null = null;
  await session.page.exposeFunction("__quizShown", () => resolve?.(performance.now()));
  await session.page.goto(`http://127.0.0.1:${port}/quiz?token=${TOKEN}`);
  await session.page.locator(".sb-status[data-state=open]").waitFor();
  // (a string: this program is type-checked without the DOM library)
  await session.page.evaluate(`(() => {
    const order = document.getElementById("order");
    let had = 0;
    new MutationObserver(() => {
      const n = order.children.length;
      if (had === 0 && n > 0) requestAnimationFrame(() => window.__quizShown());
      had = n;
    }).observe(order, { childList: true });
  })()`);
  return {
    session,
    shown: () =>
      new Promise<number>((r, reject) => {
        const t = setTimeout(() => reject(new Error("bench: the board did not show the press")), 5000);
        resolve = (at) => {
          clearTimeout(t);
          resolve = null;
          r(at);
        };
      }),
  };
}

export async function runQuizBench(o: QuizBenchOptions, log: (line: string) => void): Promise<QuizBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), "switchboard-quiz-bench-"));
  const emu = await ReceiverEmulator.start({ link: join(dir, "ttyACM0"), buzzers: [1, 2, 3, 4] });
  let server: Running | null = null;
  let board: Awaited<ReturnType<typeof openBoard>> | null = null;
  const proxies: DelayProxy[] = [];
  const phones: PhoneClient[] = [];
  try {
    server = await startServer("switchboard", ["--pool", emu.path], { SWITCHBOARD_OPERATOR_TOKEN: TOKEN });
    await emu.linked();
    const port = server.port;
    const op = await Operator.open(port);
    board = await openBoard(port);

    /** One series: arm, press, time the raw press to the operator's `order` event and to the board. */
    const series = async (what: string, press: () => void) => {
      const ws: number[] = [];
      const screen: number[] = [];
      for (let i = 0; i < o.presses; i++) {
        const round = await op.arm();
        await Bun.sleep(30 + (i % 7) * 3); // presses not in step with the board's frames
        const shown = board!.shown();
        const t0 = performance.now();
        press();
        const got = await op.until((f) => f.event === "order" && f.round === round);
        ws.push(performance.now() - t0);
        void got;
        screen.push((await shown) - t0);
        await op.reset();
      }
      log(`quiz ${what}: board p50 ${latency(screen).p50.toFixed(1)} ms`);
      return { ws: latency(ws), screen: latency(screen) };
    };

    let b = 0;
    const serial = await series("serial", () => emu.press((b++ % 4) + 1));
    const phone = await PhoneClient.join(`ws://127.0.0.1:${port}/mediator`, { name: "Bench phone", skewMs: 12_345.6 });
    phones.push(phone);
    const phoneRun = await series("phone", () => phone.press());
    phone.close();

    // Ordering: two phones on links of 10 and 30 ms each way plus jitter, pressing 10 ms apart.
    const ordering: QuizBenchResult["ordering"] = [];
    for (const jitterMs of o.jitters) {
      const rand = seeded(1000 + jitterMs);
      const pa = await delayProxy(port, { upMs: 10, downMs: 10, jitterMs, rand });
      const pb = await delayProxy(port, { upMs: 30, downMs: 30, jitterMs, rand });
      proxies.push(pa, pb);
      const a = await PhoneClient.join(pa.ws("/mediator"), { name: "A", skewMs: 5_000.3 });
      const c = await PhoneClient.join(pb.ws("/mediator"), { name: "B", skewMs: -7_777.7 });
      phones.push(a, c);
      let right = 0;
      const errs: number[] = [];
      for (let t = 0; t < o.trials; t++) {
        const [first, second] = t % 2 ? [c, a] : [a, c];
        const r = await race(op, first, second, 10);
        if (r.order[0] === first.buzzer && r.winner === first.buzzer) right++;
        errs.push(Math.abs(Math.abs(r.gap) - 10));
      }
      const e = latency(errs);
      ordering.push({ jitterMs, right, trials: o.trials, gapErrP50: e.p50, gapErrMax: e.max });
      log(`quiz ordering at ${jitterMs} ms jitter: ${right}/${o.trials} right`);
      a.close();
      c.close();
    }

    // A phone 80 ms further away each way pressing 30 ms before a directly connected one.
    const far = await delayProxy(port, { upMs: 80, downMs: 80 });
    proxies.push(far);
    const pf = await PhoneClient.join(far.ws("/mediator"), { name: "Far", skewMs: 100_000 });
    const pn = await PhoneClient.join(`ws://127.0.0.1:${port}/mediator`, { name: "Near", skewMs: -50_000 });
    phones.push(pf, pn);
    const slowTrials = Math.max(5, Math.round(o.trials / 4));
    let slowRight = 0;
    for (let t = 0; t < slowTrials; t++) if ((await race(op, pf, pn, 30)).winner === pf.buzzer) slowRight++;
    log(`quiz slow link: ${slowRight}/${slowTrials} right`);
    op.close();
    return { serialWs: serial.ws, serialBoard: serial.screen, phoneWs: phoneRun.ws, phoneBoard: phoneRun.screen, ordering, slowLink: { right: slowRight, trials: slowTrials } };
  } finally {
    for (const p of phones) p.close();
    for (const p of proxies) p.close();
    await board?.session.close();
    await server?.stop();
    emu.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Arm, press `first` then `second` gapMs later (each on its own clock); the winner, the order and the measured gap. */
async function race(op: Operator, first: PhoneClient, second: PhoneClient, gapMs: number) {
  const round = await op.arm();
  await Bun.sleep(30);
  first.press();
  await Bun.sleep(gapMs);
  second.press();
  let winner: number | null = null;
  let order: Frame[] = [];
  while (winner === null || order.length < 2) {
    const f = await op.until((f) => (f.event === "first" || f.event === "order") && f.round === round);
    if (f.event === "first") winner = f.buzzer;
    else order = f.order;
  }
  await op.reset();
  const gap = order.find((e) => e.buzzer === second.buzzer)!.ts - order.find((e) => e.buzzer === first.buzzer)!.ts;
  return { winner, order: order.map((e) => e.buzzer as number), gap };
}

export function quizTable(r: QuizBenchResult, o: QuizBenchOptions): string[] {
  const f = (x: number) => x.toFixed(1);
  return [
    `Press → board, ${o.presses} presses each: from the emulator writing \`04 id\` into the pty (serial) or the phone program sending \`press\` (phone), to an operator's WebSocket client receiving \`order\`, and to the first animation frame of /quiz in headless Chromium after the entry appeared (reported to the bench through a page binding).`,
    "",
    "| press from | to a WebSocket client p50 / p99 | to the board on screen p50 / p99 (max) |",
    "|---|---|---|",
    `| serial receiver | ${f(r.serialWs.p50)} / ${f(r.serialWs.p99)} ms | ${f(r.serialBoard.p50)} / ${f(r.serialBoard.p99)} ms (${f(r.serialBoard.max)}) |`,
    `| phone (direct) | ${f(r.phoneWs.p50)} / ${f(r.phoneWs.p99)} ms | ${f(r.phoneBoard.p50)} / ${f(r.phoneBoard.p99)} ms (${f(r.phoneBoard.max)}) |`,
    "",
    `Phone ordering: two phones behind proxies of 10 and 30 ms each way plus uniform per-chunk jitter, pressing 10 ms apart (who goes first alternates), ${o.trials} races per level; gap error = |measured gap − 10 ms|.`,
    "",
    "| jitter (each way) | ordered right | gap error p50 / max |",
    "|---|---|---|",
    ...r.ordering.map((x) => `| ≤ ${x.jitterMs} ms | ${x.right} / ${x.trials} | ${f(x.gapErrP50)} / ${f(x.gapErrMax)} ms |`),
    "",
    `A phone 80 ms further away each way pressing 30 ms before a directly connected one: first in ${r.slowLink.right} / ${r.slowLink.trials}.`,
  ];
}

if (import.meta.main) {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { presses: { type: "string" }, trials: { type: "string" }, quick: { type: "boolean" } } });
  const o: QuizBenchOptions = {
    ...defaultQuizOptions,
    presses: Number(values.presses ?? (values.quick ? 20 : defaultQuizOptions.presses)),
    trials: Number(values.trials ?? (values.quick ? 10 : defaultQuizOptions.trials)),
  };
  const r = await runQuizBench(o, (l) => process.stderr.write(l + "\n"));
  console.log(quizTable(r, o).join("\n"));
}
