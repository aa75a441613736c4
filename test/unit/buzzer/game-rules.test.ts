// The game rules (docs/buzzer.md#the-game) on a fake clock: false starts and lockouts, names,
// list round.
import { describe, expect, test } from "bun:test";
import { MemoryNameStore, type NameStore } from "../../../src/protocols/buzzer/game.ts";
import { settle } from "../../helpers/fakes.ts";
import { K, P, setup } from "./game-harness.ts";

describe("game: false starts", () => {
  test("a press while not armed locks that buzzer out for falseStartMs from the press", () => {
    const { game, take, clock, now } = setup();
    expect(game.press({ pool: P, buzzer: 1, at: now() }).outcome).toBe("false_start"); // locked [1000, 1250)
    clock.advance(100);
    game.arm();
    clock.advance(149.999);
    expect(game.press({ pool: P, buzzer: 1, at: now() }).outcome).toBe("locked_out"); // 1249.999
    expect(game.press({ pool: P, buzzer: 2, at: now() }).outcome).toBe("joined"); // others are not locked
    clock.advance(0.001);
    expect(game.press({ pool: P, buzzer: 1, at: now() }).outcome).toBe("joined"); // exactly 1250: free again
    expect(take().filter((f) => f.event === "order").at(-1).order.map((e: any) => e.buzzer)).toEqual([2, 1]);
  });

  test("a locked-out press never joins and does not extend the lockout; every press while not armed does", () => {
    const { game, clock, now } = setup();
    game.press({ pool: P, buzzer: 1, at: now() }); // until 1250
    clock.advance(200);
    expect(game.press({ pool: P, buzzer: 1, at: now() }).outcome).toBe("false_start"); // until 1450
    clock.advance(10);
    game.arm();
    clock.advance(100);
    expect(game.press({ pool: P, buzzer: 1, at: now() }).outcome).toBe("locked_out"); // 1310
    expect(game.snapshot().order).toEqual([]);
    clock.advance(140);
    expect(game.press({ pool: P, buzzer: 1, at: now() }).outcome).toBe("joined"); // 1450
  });

  test("a press converted to an instant before arm is a false start even though it arrived while armed", () => {
    const { game, clock, now } = setup();
    game.arm(); // 1000
    clock.advance(60);
    expect(game.press({ pool: "phones", buzzer: 3, at: 999.5 }).outcome).toBe("false_start");
    expect(game.press({ pool: "phones", buzzer: 3, at: now() }).outcome).toBe("locked_out"); // until 1249.5
    expect(game.press({ pool: "phones", buzzer: 4, at: 1000 }).outcome).toBe("joined"); // exactly at arm
  });

  test("a press made in a round that has ended since is too late for it, not a false start", () => {
    const { game, clock } = setup();
    game.arm(); // round 1 armed [1000, 1100)
    clock.advance(100);
    game.arm(); // round 2 from 1100
    clock.advance(40);
    expect(game.press({ pool: "phones", buzzer: 3, at: 1090 })).toEqual({ outcome: "round_over", round: 2, at: 1090 });
    expect(game.press({ pool: "phones", buzzer: 3, at: 1140 }).outcome).toBe("joined"); // not locked out
    game.reset(); // round 2 ends at 1140
    clock.advance(30);
    expect(game.press({ pool: "phones", buzzer: 4, at: 1139 }).outcome).toBe("round_over");
    expect(game.press({ pool: "phones", buzzer: 4, at: 1140 }).outcome).toBe("false_start"); // the instant of the reset
    expect(game.press({ pool: "phones", buzzer: 5, at: 990 }).outcome).toBe("false_start"); // before any round
  });

  test("falseStartMs 0 locks nothing out", () => {
    const { game, now } = setup({ falseStartMs: 0 });
    expect(game.press({ pool: P, buzzer: 1, at: now() }).outcome).toBe("false_start");
    game.arm();
    expect(game.press({ pool: P, buzzer: 1, at: now() }).outcome).toBe("joined");
  });
});

describe("game: names", () => {
  test("names from the store appear in order and first; set_name updates the order at once and persists", async () => {
    const names = new MemoryNameStore();
    await names.set(P, 1, "Quizzly Bears");
    const { game, take, clock, now } = setup({ names });
    await game.prefetch(P, [1, 2]);
    game.arm();
    game.press({ pool: P, buzzer: 1, at: now() });
    expect(take().at(-1).order[0].name).toBe("Quizzly Bears");
    clock.advance(10);
    game.press({ pool: P, buzzer: 2, at: now() });
    take();
    const saved = game.setName(P, 2, "Les Mots Dits");
    expect(take()).toEqual([
      { event: "order", round: 1, order: [
        { pool: P, buzzer: 1, name: "Quizzly Bears", ts: 1000, gap_ms: 0 },
        { pool: P, buzzer: 2, name: "Les Mots Dits", ts: 1010, gap_ms: 10 },
      ] },
    ]);
    await saved;
    expect(await names.get(P, 2)).toBe("Les Mots Dits");
    clock.advance(140);
    expect(take()).toEqual([{ event: "first", round: 1, pool: P, buzzer: 1, name: "Quizzly Bears", ts: 1000 }]);
    // Renaming a buzzer that is not in the order sends nothing; null forgets the name.
    await game.setName(K, 9, "x");
    await game.setName(P, 1, null);
    expect(take().map((f) => f.order.map((e: any) => e.name))).toEqual([[null, "Les Mots Dits"]]);
    expect(await names.get(P, 1)).toBeNull();
  });

  test("a name not loaded yet: the order goes out at once, and again when the store answers", async () => {
    const names = new MemoryNameStore();
    await names.set(P, 1, "Team A");
    const { game, take, now } = setup({ names });
    game.arm();
    game.press({ pool: P, buzzer: 1, at: now() });
    game.press({ pool: P, buzzer: 2, at: now() }); // no name stored: no second order for it
    expect(take().map((f) => f.event === "order" && f.order.map((e: any) => e.name))).toEqual([false, [null], [null, null]]);
    await settle();
    expect(take().map((f) => f.order.map((e: any) => e.name))).toEqual([["Team A", null]]);
  });

  test("set_name wins over a store answer that was still on its way", async () => {
    let answer: (n: string | null) => void = () => {};
    const slow: NameStore = { get: () => new Promise((r) => (answer = r)), set: async () => {} };
    const { game, now } = setup({ names: slow });
    game.arm();
    game.press({ pool: P, buzzer: 1, at: now() });
    void game.setName(P, 1, "New");
    answer("Old");
    await settle();
    expect(game.snapshot().order[0]!.name).toBe("New");
  });

  test("a store that fails to read gives no name and is asked again at the next press", async () => {
    let calls = 0;
    const broken: NameStore = { get: () => (calls++, Promise.reject(new Error("disk"))), set: async () => {} };
    const { game, clock, now } = setup({ names: broken });
    game.arm();
    game.press({ pool: P, buzzer: 1, at: now() });
    await settle();
    expect(game.snapshot().order[0]!.name).toBeNull();
    clock.advance(500);
    game.arm();
    game.press({ pool: P, buzzer: 1, at: now() });
    expect(calls).toBe(2);
  });
});

describe("game: list round", () => {
  test("a late screen catches up: round, armed, order and the final winner", () => {
    const { game, clock, now } = setup();
    game.arm();
    game.press({ pool: P, buzzer: 1, at: now() });
    clock.advance(5);
    game.press({ pool: K, buzzer: 30, at: now() });
    expect(game.snapshot()).toEqual({
      round: 1, armed: true, first: null,
      order: [
        { pool: P, buzzer: 1, name: null, ts: 1000, gap_ms: 0 },
        { pool: K, buzzer: 30, name: null, ts: 1005, gap_ms: 5 },
      ],
    });
    clock.advance(145);
    expect(game.snapshot().first).toEqual({ pool: P, buzzer: 1, name: null, ts: 1000 });
  });

  test("stop cancels the settle timer", () => {
    const { game, clock, now } = setup();
    game.arm();
    game.press({ pool: P, buzzer: 1, at: now() });
    expect(clock.pending).toBe(1);
    game.stop();
    expect(clock.pending).toBe(0);
  });
});
