// Fairness through a real network path (docs/buzzer.md#fairness-and-its-limits): phones as
// programs on real WebSockets to the real server, one of them behind a TCP proxy that delays
// its traffic. The server must order by the instant each phone measured, not by arrival.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { delayProxy, seeded, type DelayProxy } from "../../../scripts/lib/delay-proxy.ts";
import { PhoneClient } from "../../../scripts/lib/phone-client.ts";
import { buzzerProtocol } from "../../../src/protocols/buzzer/plugin.ts";
import { bootServer, operatorHeaders, type TestServer } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";

let srv: TestServer;
let op: TestClient;
const proxies: DelayProxy[] = [];
const phones: PhoneClient[] = [];

beforeAll(async () => {
  srv = await bootServer({}, { protocols: [buzzerProtocol()] });
  op = await TestClient.open(srv.ws("/mediator"), { headers: operatorHeaders });
});
afterAll(async () => {
  for (const p of phones) p.close();
  for (const p of proxies) p.close();
  op.close();
  await srv.stop();
});

async function proxy(spec: Parameters<typeof delayProxy>[1]): Promise<DelayProxy> {
  const p = await delayProxy(srv.port, spec);
  proxies.push(p);
  return p;
}

const json = async (pred: (m: any) => boolean, ms = 3000) => JSON.parse(await op.until((t) => pred(JSON.parse(t)), ms));

async function phone(name: string, skewMs: number, via: DelayProxy | null): Promise<PhoneClient> {
  const p = await PhoneClient.join(via ? via.ws("/mediator") : srv.ws("/mediator"), { name, skewMs, everyMs: 1000 });
  phones.push(p);
  return p;
}

/** Arm a round, let `first` press, the other `gapMs` later (each on its own clock), and return the round's final order. */
async function race(first: PhoneClient, second: PhoneClient, gapMs: number) {
  op.send({ command: "arm" });
  const { round } = await json((m) => m.result === "arm");
  await Bun.sleep(30); // presses well inside the round
  first.press();
  await Bun.sleep(gapMs); // the press gap: the point
  second.press();
  // Read until the winner is final and both presses are in the order (the later press may come after `first`).
  let winner: any = null;
  let order: any[] = [];
  while (!winner || order.length < 2) {
    const m = await json((m) => (m.event === "first" || m.event === "order") && m.round === round);
    if (m.event === "first") winner = m;
    else order = m.order;
  }
  op.send({ command: "reset" });
  await json((m) => m.result === "reset");
  return { winner, order: order.map((e: any) => e.buzzer) as number[], gap: order[1].gap_ms as number };
}

describe("phones racing through a delaying proxy", () => {
  test("a phone with 80 ms more one-way delay that presses 30 ms before a directly connected phone is first", async () => {
    const slowLink = await proxy({ upMs: 80, downMs: 80 });
    const far = await phone("Far", 123_456.7, slowLink);
    const near = await phone("Near", -98_765.4, null);
    // By arrival the near phone is 50 ms ahead; by the phones' own clocks the far one pressed 30 ms earlier.
    for (let i = 0; i < 3; i++) {
      const r = await race(far, near, 30);
      expect({ winner: r.winner.buzzer, name: r.winner.name, order: r.order }).toEqual({ winner: far.buzzer, name: "Far", order: [far.buzzer, near.buzzer] });
      // The gap is the press gap, not the arrival gap: 30 ms, give or take the timers of this shared machine.
      expect(r.gap).toBeGreaterThan(20);
      expect(r.gap).toBeLessThan(45);
    }
    far.close();
    near.close();
  }, 30_000);

  test("two phones 10 ms apart with ≤ 5 ms jitter each way are ordered right in at least 9 of 10 trials", async () => {
    // Links of 10 and 30 ms: by arrival, every trial where the slower phone presses first would be wrong.
    const rand = seeded(14);
    const a = await phone("A", 5_000.3, await proxy({ upMs: 10, downMs: 10, jitterMs: 5, rand }));
    const b = await phone("B", -7_777.7, await proxy({ upMs: 30, downMs: 30, jitterMs: 5, rand }));
    let right = 0;
    const outcomes: string[] = [];
    for (let trial = 0; trial < 10; trial++) {
      // Alternate who presses first, so a constant bias towards one link would show.
      const [first, second] = trial % 2 ? [b, a] : [a, b];
      const r = await race(first, second, 10);
      const ok = r.order[0] === first.buzzer && r.winner.buzzer === first.buzzer;
      if (ok) right++;
      outcomes.push(`${ok ? "right" : "WRONG"} gap ${r.gap} ms`);
    }
    // (the outcomes are in the comparison so that a failure shows every trial)
    expect({ atLeast9: right >= 9, outcomes }).toEqual({ atLeast9: true, outcomes });
  }, 60_000);
});
