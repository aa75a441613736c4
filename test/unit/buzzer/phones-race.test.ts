// Phones racing each other through the game (docs/buzzer.md#fairness-and-its-limits): a server
// with the game and the phones registry on a fake clock, phones on a simulated network with their
// own clocks, and a seeded PRNG so every run is the same and a wrong conversion still fails.
import { describe, expect, test } from "bun:test";
import { Game, MemoryNameStore } from "../../../src/protocols/buzzer/game.ts";
import { Phones, PHONES_POOL, type JoinResult } from "../../../src/protocols/buzzer/phones.ts";
import { FakeClock } from "../../helpers/fakes.ts";

/** mulberry32: a small seeded PRNG, so the races below are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A server with a game and the phones registry on a fake clock, and phones on a simulated network:
 * each has its own clock (server monotonic + skew, read to whole ms like Safari's performance.now)
 * and a one-way delay of base + uniform [0, jitter) drawn per frame and direction.
 */
function race(seed: number, jitterMs: number) {
  const rand = prng(seed);
  const clock = new FakeClock(1_700_000_000_000, 1000);
  const phones = new Phones({ clock });
  const events: any[] = [];
  const game = new Game({ clock, publish: (f) => events.push(JSON.parse(f)), settleMs: 150, falseStartMs: 250, names: new MemoryNameStore() });
  const queue: { t: number; seq: number; fn: () => void }[] = [];
  let seq = 0;
  const at = (t: number, fn: () => void) => queue.push({ t, seq: seq++, fn });
  const run = () => {
    for (let guard = 0; queue.length && guard < 100_000; guard++) {
      queue.sort((a, b) => a.t - b.t || a.seq - b.seq);
      const e = queue.shift()!;
      clock.advance(Math.max(0, e.t - clock.mono()));
      e.fn();
    }
    clock.advance(1000); // past every settle window
  };
  const arrivals: number[] = [];
  let conns = 0;
  const phone = (baseMs: number) => {
    const conn = ++conns;
    const skew = (rand() - 0.5) * 3_600_000;
    const local = (t: number) => Math.round(t + skew);
    const delay = () => baseMs + rand() * jitterMs;
    const buzzer = (phones.join(conn, `phone ${conn}`, null) as JoinResult).buzzer;
    let last: { client_ts: number; server_recv_ts: number; server_send_ts: number; client_recv_ts: number } | null = null;
    /** n sync_time calls, each sent when the previous reply arrived plus 200 ms, reporting the previous exchange. */
    const sync = (t: number, n: number) => {
      if (n === 0) return;
      const client_ts = local(t);
      const previous = last;
      at(t + delay(), () => {
        const r = phones.sync(conn, client_ts, previous);
        const back = clock.mono() + delay();
        at(back, () => {
          last = { client_ts, server_recv_ts: r.server_recv_ts, server_send_ts: r.server_send_ts, client_recv_ts: local(back) };
          sync(back + 200, n - 1);
        });
      });
    };
    const press = (t: number) => {
      const client_ts = local(t);
      at(t + delay(), () => {
        arrivals.push(buzzer);
        const p = phones.press(conn, client_ts);
        if ("error" in p) throw new Error(p.message ?? p.error);
        game.press({ pool: PHONES_POOL, buzzer: p.buzzer, at: p.at });
      });
    };
    return { buzzer, sync, press };
  };
  const first = () => events.find((e) => e.event === "first");
  const order = () => events.filter((e) => e.event === "order").at(-1)?.order.map((e: any) => e.buzzer) ?? [];
  return { rand, at, run, phone, game, first, order, arrivals };
}

describe("phones: simulated races (seeded)", () => {
  test("a phone with 80 ms more one-way delay that presses 30 ms earlier than a direct phone is first", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const r = race(seed, 5);
      const direct = r.phone(1);
      const slow = r.phone(81);
      direct.sync(1000, 8);
      slow.sync(1000, 8);
      r.at(5000, () => r.game.arm());
      slow.press(6000);
      direct.press(6030);
      r.run();
      expect(r.arrivals).toEqual([direct.buzzer, slow.buzzer]); // the direct press reached the server first…
      expect(r.first()).toMatchObject({ pool: PHONES_POOL, buzzer: slow.buzzer }); // …the earlier press won
      expect(r.order()).toEqual([slow.buzzer, direct.buzzer]);
    }
  });

  test("two phones pressing 10 ms apart under ≤ 5 ms jitter are ordered right in at least 9 of 10 trials", () => {
    let right = 0;
    let byArrival = 0;
    for (let seed = 101; seed <= 110; seed++) {
      const r = race(seed, 5);
      // The earlier presser has the slower link (20..60 ms more each way), so arrival order is wrong.
      const fast = 5 + r.rand() * 40;
      const early = r.phone(fast + 20 + r.rand() * 40);
      const late = r.phone(fast);
      early.sync(1000, 6);
      late.sync(1000 + r.rand() * 300, 6);
      r.at(6000, () => r.game.arm());
      const t = 7000 + r.rand() * 1000;
      early.press(t);
      late.press(t + 10);
      r.run();
      if (r.order()[0] === early.buzzer && r.first()?.buzzer === early.buzzer) right++;
      if (r.arrivals[0] === early.buzzer) byArrival++;
    }
    expect(right).toBeGreaterThanOrEqual(9);
    expect(byArrival).toBeLessThanOrEqual(1); // ordering by arrival would have failed: the conversion does the work
  });
});
