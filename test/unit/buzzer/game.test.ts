// The game rules (docs/buzzer.md#the-game) on a fake clock: rounds, the order, the settle
// window and its boundaries, ties. False starts, names and list round: game-rules.test.ts.
import { describe, expect, test } from "bun:test";
import { early, K, kinds, P, setup, stalled } from "./game-harness.ts";

describe("game: rounds", () => {
  test("arm numbers rounds 1, 2, …; reset disarms and clears; both are announced with ts", () => {
    const { game, take, clock } = setup();
    expect(game.snapshot()).toEqual({ round: 0, armed: false, order: [], first: null });
    expect(game.arm()).toBe(1);
    expect(take()).toEqual([{ event: "armed", round: 1, ts: 1000 }]);
    expect(game.armed).toBe(true);
    clock.advance(10.0004);
    game.press({ pool: P, buzzer: 3, at: clock.mono() });
    take();
    expect(game.reset()).toBe(1);
    expect(take()).toEqual([{ event: "reset", round: 1, ts: 1010 }]); // µs rounding as the raw events
    expect(game.snapshot()).toEqual({ round: 1, armed: false, order: [], first: null });
    expect(game.arm()).toBe(2);
    expect(take()).toEqual([{ event: "armed", round: 2, ts: 1010 }]);
  });

  test("reset when not armed still answers and announces (screens clear); the round number stays", () => {
    const { game, take } = setup();
    expect(game.reset()).toBe(0);
    expect(take()).toEqual([{ event: "reset", round: 0, ts: 1000 }]);
    game.arm();
    game.reset();
    take();
    expect(game.reset()).toBe(1);
    expect(take()).toEqual([{ event: "reset", round: 1, ts: 1000 }]);
  });

  test("arm while armed starts a new round: order cleared, the old round's settle never ends in first", () => {
    const { game, take, clock, now } = setup();
    game.arm();
    game.press({ pool: P, buzzer: 1, at: now() });
    clock.advance(50);
    expect(game.arm()).toBe(2);
    take();
    clock.advance(1000);
    expect(take()).toEqual([]); // no first for round 1
    expect(clock.pending).toBe(0);
    expect(game.snapshot()).toEqual({ round: 2, armed: true, order: [], first: null });
    // The buzzer that pressed in round 1 may press again in round 2.
    expect(game.press({ pool: P, buzzer: 1, at: now() }).outcome).toBe("joined");
  });
});

describe("game: order and the settle window", () => {
  test("first press joins; order sorted by press time with gap_ms from the first; repeats ignored", () => {
    const { game, take, clock, now } = setup();
    game.arm();
    take();
    clock.advance(100);
    expect(game.press({ pool: P, buzzer: 2, at: now() })).toEqual({ outcome: "joined", round: 1, at: 1100 });
    expect(take()).toEqual([{ event: "order", round: 1, order: [{ pool: P, buzzer: 2, name: null, ts: 1100, gap_ms: 0 }] }]);
    clock.advance(20);
    // A keyboard press whose kernel time is 12.5 ms earlier than its arrival.
    expect(game.press({ pool: K, buzzer: 30, at: now() - 12.5 }).outcome).toBe("joined");
    expect(take()[0].order).toEqual([
      { pool: P, buzzer: 2, name: null, ts: 1100, gap_ms: 0 },
      { pool: K, buzzer: 30, name: null, ts: 1107.5, gap_ms: 7.5 },
    ]);
    clock.advance(5);
    expect(game.press({ pool: P, buzzer: 2, at: now() }).outcome).toBe("repeat");
    expect(take()).toEqual([]); // the order did not change
  });

  test("first goes out exactly once, settleMs after the earliest press reached the server", () => {
    const { game, take, clock, now } = setup();
    game.arm();
    clock.advance(100);
    game.press({ pool: P, buzzer: 2, at: now() });
    take();
    clock.advance(149.999);
    expect(take()).toEqual([]);
    clock.advance(0.001);
    expect(take()).toEqual([{ event: "first", round: 1, pool: P, buzzer: 2, name: null, ts: 1100 }]);
    clock.advance(10);
    game.press({ pool: P, buzzer: 5, at: now() });
    clock.advance(1000);
    expect(kinds(take())).toEqual(["order"]); // later presses join the order; no second first
    expect(game.snapshot().first).toEqual({ pool: P, buzzer: 2, name: null, ts: 1100 });
    expect(game.armed).toBe(true); // the round stays armed for the places after the winner
  });

  test("an earlier press over a slower link that arrives inside the window wins", () => {
    const { game, take, clock, now } = setup();
    game.arm();
    clock.advance(100);
    game.press({ pool: P, buzzer: 1, at: now() }); // arrives first, pressed at 1100
    clock.advance(50);
    game.press({ pool: "phones", buzzer: 7, at: 1070 }); // pressed 30 ms earlier, arrived 50 ms later
    expect(take().at(-1).order.map((e: any) => [e.buzzer, e.gap_ms])).toEqual([[7, 0], [1, 30]]);
    clock.advance(100); // 150 ms after the first arrival
    expect(take()).toEqual([{ event: "first", round: 1, pool: "phones", buzzer: 7, name: null, ts: 1070 }]);
  });

  test("a press arriving exactly at the window's end comes after the decision: it joins, the winner stays", () => {
    const { game, take, clock, now } = setup();
    game.arm();
    clock.advance(100);
    game.press({ pool: P, buzzer: 1, at: now() });
    take();
    clock.advance(150); // the timer fires at exactly 1250
    expect(kinds(take())).toEqual(["first"]);
    game.press({ pool: P, buzzer: 9, at: 1050.5 }); // converted earlier than the winner
    const order = take()[0].order;
    expect(order.map((e: any) => e.buzzer)).toEqual([9, 1]); // the order stays sorted by press time
    expect(order[1].gap_ms).toBe(49.5);
    expect(game.snapshot().first!.buzzer).toBe(1); // the winner is final
  });

  test("a late timer does not move the boundary: a press at or after the deadline settles first, then joins", () => {
    const { game, take, clock, now } = setup({ timers: stalled });
    game.arm();
    clock.advance(100);
    game.press({ pool: P, buzzer: 1, at: now() });
    clock.advance(149.999);
    game.press({ pool: P, buzzer: 2, at: 1090 }); // pressed before buzzer 1, still inside the window: it wins
    clock.advance(0.001);
    game.press({ pool: P, buzzer: 3, at: now() - 200 }); // exactly at the deadline: too late
    const frames = take();
    expect(kinds(frames)).toEqual(["armed", "order", "order", "first", "order"]);
    expect(frames[3].buzzer).toBe(2);
    expect(frames[4].order.map((e: any) => e.buzzer)).toEqual([3, 2, 1]);
  });

  test("a timer that fires a moment early waits for the rest of the window", () => {
    const { game, take, clock, now } = setup({ timers: early });
    game.arm();
    game.press({ pool: P, buzzer: 1, at: now() });
    clock.advance(149.6);
    expect(kinds(take())).toEqual(["armed", "order"]);
    clock.advance(0.4);
    expect(kinds(take())).toEqual(["first"]);
  });

  test("equal press times: the one that arrived first goes first", () => {
    const { game, take, clock } = setup();
    game.arm();
    clock.advance(40);
    game.press({ pool: P, buzzer: 4, at: 1030 });
    game.press({ pool: K, buzzer: 2, at: 1030 });
    clock.advance(1);
    game.press({ pool: P, buzzer: 1, at: 1030 });
    game.press({ pool: P, buzzer: 6, at: 1029 });
    expect(take().at(-1).order.map((e: any) => [e.buzzer, e.gap_ms])).toEqual([[6, 0], [4, 1], [2, 1], [1, 1]]);
    clock.advance(150);
    expect(take()[0]).toMatchObject({ event: "first", buzzer: 6 });
  });

  test("reset mid-settle: no first, ever; the next round settles on its own", () => {
    const { game, take, clock, now } = setup();
    game.arm();
    game.press({ pool: P, buzzer: 1, at: now() });
    clock.advance(149.999);
    game.reset();
    clock.advance(500);
    expect(kinds(take())).toEqual(["armed", "order", "reset"]);
    game.arm();
    game.press({ pool: P, buzzer: 1, at: now() });
    clock.advance(150);
    expect(kinds(take())).toEqual(["armed", "order", "first"]);
  });

  test("reset exactly at the window's end comes after the decision: first, then reset", () => {
    const { game, take, clock, now } = setup({ timers: stalled });
    game.arm();
    game.press({ pool: P, buzzer: 1, at: now() });
    clock.advance(150);
    game.reset();
    expect(kinds(take())).toEqual(["armed", "order", "first", "reset"]);
  });

  test("a press time in the future is taken as its arrival", () => {
    const { game, clock } = setup();
    game.arm();
    clock.advance(10);
    expect(game.press({ pool: P, buzzer: 1, at: 5000 }).at).toBe(1010);
  });

  test("settleMs 0: the winner is final at the first press's arrival", () => {
    const { game, take, now } = setup({ settleMs: 0 });
    game.arm();
    game.press({ pool: P, buzzer: 1, at: now() });
    game.press({ pool: P, buzzer: 2, at: now() }); // the same instant, but after the decision
    expect(kinds(take())).toEqual(["armed", "order", "first", "order"]);
    expect(game.snapshot().first!.buzzer).toBe(1);
  });
});

