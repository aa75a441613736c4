// The delaying rate limit (docs/common.md#rate-limit), pure: a burst goes at once, what follows
// waits for tokens in order, costs above one take several tokens, and only a full queue refuses.
import { describe, expect, test } from "bun:test";
import { RatePolicy, type Metered } from "../../../src/transport/rate.ts";

const meter = (): Metered => ({ tokens: 0, refilledAt: 0, waiting: null, waitingBytes: 0 });
const policy = (queueMessages = 3, queueBytes = 100) => new RatePolicy({ rate: 10, burst: 5, queueMessages, queueBytes });

describe("RatePolicy", () => {
  test("the burst goes at once; the next waits 100 ms per token at 10/s", () => {
    const p = policy();
    const m = meter();
    p.fill(m, 0);
    expect(Array.from({ length: 5 }, () => p.admit(m, 0, 1))).toEqual([true, true, true, true, true]);
    expect(p.admit(m, 0, 1)).toBe(false);
    expect(p.enqueue(m, { data: "a", cost: 1, bytes: 1 })).toBe(true);
    expect(p.waitMs(m)).toBe(100);
    expect(p.next(m, 99)).toBeNull();
    expect(p.next(m, 100)?.data).toBe("a");
    expect(m.waiting).toBeNull();
  });

  test("while anything waits, a new message queues behind it even if a token is there (order)", () => {
    const p = policy();
    const m = meter();
    p.fill(m, 0);
    for (let i = 0; i < 5; i++) p.admit(m, 0, 1);
    p.enqueue(m, { data: "first", cost: 1, bytes: 5 });
    expect(p.admit(m, 1000, 1)).toBe(false);
    p.enqueue(m, { data: "second", cost: 1, bytes: 6 });
    expect(p.next(m, 1000)?.data).toBe("first");
    expect(p.next(m, 1000)?.data).toBe("second");
  });

  test("a cost above the burst is admitted once and paid back before anything else goes", () => {
    const p = policy();
    const m = meter();
    p.fill(m, 0);
    expect(p.admit(m, 0, 25)).toBe(true); // 5 - 25 = -20 tokens
    expect(p.admit(m, 0, 1)).toBe(false);
    p.enqueue(m, { data: "x", cost: 1, bytes: 1 });
    expect(p.waitMs(m)).toBe(2100); // back to 1 token: 21 tokens at 10/s
    expect(p.next(m, 2099)).toBeNull();
    expect(p.next(m, 2100)?.data).toBe("x");
  });

  test("a full queue (messages or bytes) refuses; the queue is left as it was", () => {
    const p = policy(2, 10);
    const m = meter();
    p.fill(m, 0);
    for (let i = 0; i < 5; i++) p.admit(m, 0, 1);
    expect(p.enqueue(m, { data: "aaaa", cost: 1, bytes: 4 })).toBe(true);
    expect(p.enqueue(m, { data: "bbbbbbb", cost: 1, bytes: 7 })).toBe(false); // 11 bytes > 10
    expect(p.enqueue(m, { data: "cc", cost: 1, bytes: 2 })).toBe(true);
    expect(p.enqueue(m, { data: "d", cost: 1, bytes: 1 })).toBe(false); // 3 messages > 2
    expect(m.waiting?.map((w) => w.data)).toEqual(["aaaa", "cc"]);
    expect(m.waitingBytes).toBe(6);
    const none = meter();
    p.fill(none, 0);
    expect(new RatePolicy({ rate: 1, burst: 1, queueMessages: 0, queueBytes: 0 }).enqueue(none, { data: "z", cost: 1, bytes: 1 })).toBe(false);
    expect(none.waiting).toBeNull();
  });
});
