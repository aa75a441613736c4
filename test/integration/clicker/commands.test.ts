// The clicker commands on /ws (docs/clicker.md#commands, draft-1), black-box: the real server on
// port 0, real WebSocket clients, exact wire lines.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { Pool, register, take, REGISTERED } from "../../helpers/clients/clicker.ts";

let s: TestServer;
const pool = new Pool(() => s.ws("/ws"));
beforeAll(async () => {
  s = await bootServer();
});
afterEach(() => pool.closeAll());
afterAll(() => s.stop());

describe("REGISTER", () => {
  test("REGISTER → REGISTERED <6-digit id> <32 lower-case hex>; every registration gets its own id and secret", async () => {
    const ids = new Set<string>();
    const secrets = new Set<string>();
    const c = await pool.client();
    for (let i = 0; i < 40; i++) {
      const fresh = await pool.client();
      const r = await register(fresh);
      ids.add(r.id);
      secrets.add(r.secret);
      fresh.close();
    }
    expect(ids.size).toBe(40);
    expect(secrets.size).toBe(40);
    c.close();
  });

  test("verbs are case-insensitive and a trailing \\r\\n is tolerated; replies are upper case", async () => {
    for (const frame of ["register", "Register", "rEgIsTeR\r\n", "REGISTER\r\n", "REGISTER \r\n"]) {
      const c = await pool.client();
      c.send(frame);
      expect(await c.next()).toMatch(REGISTERED);
    }
    const c = await pool.client();
    const r = await register(c);
    c.close();
    const back = await pool.client();
    expect(await register(back, `register ${r.secret}\r\n`)).toEqual(r);
  });

  test("a known secret gets its stored id (and the same secret) back", async () => {
    const first = await pool.client();
    const r = await register(first);
    first.close();
    await first.waitClose();
    for (let i = 0; i < 3; i++) {
      const again = await pool.client();
      expect(await register(again, `REGISTER ${r.secret}`)).toEqual(r);
      again.close();
      await again.waitClose();
    }
  });

  test("a secret the server did not issue gets a fresh secret and a fresh id", async () => {
    const c0 = await pool.client();
    const known = await register(c0);
    const unknown = [
      "00000000000000000000000000000000",
      "ffffffffffffffffffffffffffffffff",
      known.secret.slice(0, 31) + (known.secret.endsWith("0") ? "1" : "0"),
      known.secret + "0",
      "hunter2",
      "not-a-secret",
      "ñandú",
      "{\"secret\":1}",
    ];
    const seen = new Set([known.id]);
    for (const secret of unknown) {
      const c = await pool.client();
      const r = await register(c, `REGISTER ${secret}`);
      expect(r.secret).not.toBe(secret.toLowerCase());
      expect(seen.has(r.id)).toBe(false);
      seen.add(r.id);
      // The fresh secret it was given is now a known one.
      c.close();
      await c.waitClose();
      const back = await pool.client();
      expect(await register(back, `REGISTER ${r.secret}`)).toEqual(r);
    }
  });

  test("re-register while live: the old socket is closed 4001 and listeners' view stays consistent", async () => {
    const old = await pool.client();
    const r = await register(old);
    const board = await pool.listener(r.id, `CONNECT ${r.id}`);
    const bystander = await pool.listener("999999", "CONNECT");

    const fresh = await pool.client();
    expect(await register(fresh, `REGISTER ${r.secret}`)).toEqual(r);
    const closed = await old.waitClose();
    expect(closed.code).toBe(4001);
    expect(await board.next()).toBe(`CONNECT ${r.id}`);
    expect(await board.quiet(250)).toBe(true); // no DISCONNECT for the replaced socket

    // The id is still live: a late listener sees it connected, and scores flow from the new socket.
    const late = await pool.listener(r.id, `CONNECT ${r.id}`);
    fresh.send("SCORE 10 1");
    expect(await fresh.next()).toBe("SCORED 10");
    expect(await board.next()).toBe(`SCORE 10 ${r.id} 1`);
    expect(await late.next()).toBe(`SCORE 10 ${r.id} 1`);

    fresh.close();
    expect(await board.next()).toBe(`DISCONNECT ${r.id}`);
    expect(await late.next()).toBe(`DISCONNECT ${r.id}`);
    const after = await pool.listener(r.id, "CONNECT");
    expect(await after.quiet(150)).toBe(true);
    expect(await bystander.quiet(50)).toBe(true);
    expect(await board.quiet(100)).toBe(true);
  });

  test("every REGISTER on one connection is answered as the contract says, and listeners follow the id", async () => {
    const c = await pool.client();
    const first = await register(c);
    const other = await pool.client();
    const taken = await register(other);
    const board = await pool.listener(`${first.id} ${taken.id}`, `CONNECT ${first.id} ${taken.id}`);

    // Its own secret: the same registration, nothing changes hands.
    expect(await register(c, `REGISTER ${first.secret}`)).toEqual(first);
    expect(await board.quiet(150)).toBe(true);

    // No secret, or one the server did not issue: a fresh id and secret; the old id has left.
    const fresh = await register(c, "REGISTER");
    expect(fresh.id).not.toBe(first.id);
    expect(fresh.secret).not.toBe(first.secret);
    expect(await board.next()).toBe(`DISCONNECT ${first.id}`);
    const fresher = await register(c, "REGISTER 0123456789abcdef0123456789abcdef");
    expect(new Set([first.id, taken.id, fresh.id, fresher.id]).size).toBe(4);
    expect(fresher.secret).not.toBe("0123456789abcdef0123456789abcdef");

    // Another device's secret: that id comes here, its old socket is closed 4001.
    expect(await register(c, `REGISTER ${taken.secret}`)).toEqual(taken);
    expect((await other.waitClose()).code).toBe(4001);
    expect(await board.next()).toBe(`CONNECT ${taken.id}`);
    c.send("SCORE 1 1");
    expect(await c.next()).toBe("SCORED 1");
    expect(await board.next()).toBe(`SCORE 1 ${taken.id} 1`);
    expect(await board.quiet(150)).toBe(true);
    board.send(`LISTEN ${first.id} ${fresh.id} ${fresher.id} ${taken.id}`);
    expect(await take(board, 2)).toEqual([`CONNECT ${taken.id}`, `SCORE 1 ${taken.id} 1`]);
  });

  test("two sockets racing with one secret: the later keeps the id, exactly one is closed 4001", async () => {
    const first = await pool.client();
    const r = await register(first);
    first.close();
    await first.waitClose();
    const board = await pool.listener(r.id, "CONNECT");
    const a = await pool.client();
    const b = await pool.client();
    a.send(`REGISTER ${r.secret}`);
    b.send(`REGISTER ${r.secret}`);
    expect(await a.next()).toBe(`REGISTERED ${r.id} ${r.secret}`);
    expect(await b.next()).toBe(`REGISTERED ${r.id} ${r.secret}`);
    expect(await take(board, 2)).toEqual([`CONNECT ${r.id}`, `CONNECT ${r.id}`]);
    const [ca, cb] = await Promise.race([
      Promise.all([a.waitClose(), Promise.resolve(null)]),
      Promise.all([Promise.resolve(null), b.waitClose()]),
    ]);
    const loser = ca ? a : b;
    const winner = ca ? b : a;
    expect((ca ?? cb)!.code).toBe(4001);
    expect(winner.closed).toBeNull();
    expect(await board.quiet(200)).toBe(true);
    winner.send("SCORE 1 1");
    expect(await winner.next()).toBe("SCORED 1");
    expect(await board.next()).toBe(`SCORE 1 ${r.id} 1`);
    expect(loser.closed?.code).toBe(4001);
    winner.close();
    expect(await board.next()).toBe(`DISCONNECT ${r.id}`);
  });
});

describe("SCORE", () => {
  test("before REGISTER: ERROR not_registered, nothing broadcast", async () => {
    const c = await pool.client();
    c.send("SCORE 1 1");
    expect(await c.next()).toMatch(/^ERROR not_registered \S.*$/);
    const listenerOnly = await pool.listener("123456", "CONNECT");
    listenerOnly.send("score 1 1");
    expect(await listenerOnly.next()).toMatch(/^ERROR not_registered \S.*$/);
  });

  // [timestamp, score]: all integers the contract allows, echoed exactly.
  const values: Array<[string, string]> = [
    ["0", "0"],
    ["1", "1"],
    ["-1", "-5"],
    ["4294967295", "1"],
    ["-2147483648", "2"],
    ["2147483647", "-2147483648"],
    ["2147483648", "4294967295"],
    ["1763780000000", "3"],
    ["9007199254740991", "-9007199254740991"],
    ["-9007199254740991", "9007199254740991"],
  ];

  test("integers: negative, 32-bit wrap values and big values are SCORED and broadcast exactly", async () => {
    const c = await pool.client();
    const r = await register(c);
    const board = await pool.listener(r.id, `CONNECT ${r.id}`);
    for (const [ts, score] of values) {
      c.send(`SCORE ${ts} ${score}`);
      expect(await c.next()).toBe(`SCORED ${ts}`);
      expect(await board.next()).toBe(`SCORE ${ts} ${r.id} ${score}`);
    }
    const late = await pool.listener(r.id, `CONNECT ${r.id}`);
    const [ts, score] = values[values.length - 1]!;
    expect(await late.next()).toBe(`SCORE ${ts} ${r.id} ${score}`);
  });

  test("big values: every signed 64-bit integer is exact (no rounding past 2^53); beyond is bad_arguments", async () => {
    const c = await pool.client();
    const r = await register(c);
    const board = await pool.listener(r.id, `CONNECT ${r.id}`);
    const big: Array<[string, string]> = [
      ["9007199254740992", "9007199254740993"],
      ["9007199254740993", "1"], // rounds to ...992 as a double: must still be a new timestamp
      ["9223372036854775807", "-9223372036854775808"],
      ["-9223372036854775808", "9223372036854775807"],
    ];
    for (const [ts, score] of big) {
      c.send(`SCORE ${ts} ${score}`);
      expect(await c.next()).toBe(`SCORED ${ts}`);
      expect(await board.next()).toBe(`SCORE ${ts} ${r.id} ${score}`);
    }
    c.send("SCORE 9223372036854775807 5"); // a retry, exactly
    expect(await c.next()).toBe("SCORED 9223372036854775807");
    for (const frame of ["SCORE 9223372036854775808 1", "SCORE -9223372036854775809 1", "SCORE 1 18446744073709551615"]) {
      c.send(frame);
      expect(await c.next()).toMatch(/^ERROR bad_arguments \S/);
    }
    expect(await board.quiet(150)).toBe(true);
    const late = await pool.listener(r.id, `CONNECT ${r.id}`);
    expect(await late.next()).toBe(`SCORE -9223372036854775808 ${r.id} 9223372036854775807`);
  });

  test("SCORED echoes the timestamp as sent; a leading-zero spelling is the same timestamp", async () => {
    const c = await pool.client();
    const r = await register(c);
    const board = await pool.listener(r.id, `CONNECT ${r.id}`);
    c.send("SCORE 007 1");
    expect(await c.next()).toBe("SCORED 007");
    expect(await board.next()).toBe(`SCORE 7 ${r.id} 1`);
    c.send("SCORE 7 1"); // the same (id, timestamp): a retry
    expect(await c.next()).toBe("SCORED 7");
    expect(await board.quiet(200)).toBe(true);
  });

  test("not integers: ERROR bad_arguments, nothing stored or broadcast, connection open", async () => {
    const c = await pool.client();
    const r = await register(c);
    const board = await pool.listener(r.id, `CONNECT ${r.id}`);
    const bad = [
      "SCORE 1.5 1", "SCORE 1 1.0", "SCORE 1e3 1", "SCORE +1 1", "SCORE 0x10 1", "SCORE NaN 1", "SCORE Infinity 1",
      "SCORE - 1", "SCORE --1 1", "SCORE 1_000 1", "SCORE 1,000 1", "SCORE ٣ 1", "SCORE １ 1", "SCORE 1 one",
      "SCORE 1", "SCORE", "SCORE  1 2", "SCORE 1  2", "SCORE 1 2 ", "SCORE 99999999999999999999 1",
      "SCORE 1 99999999999999999999", "SCORE 1\t2",
    ];
    for (const frame of bad) {
      c.send(frame);
      const reply = await c.next();
      expect({ frame, reply }).toEqual({ frame, reply: expect.stringMatching(/^ERROR bad_arguments \S[\x20-\x7e]*$/) });
    }
    expect(await board.quiet(150)).toBe(true);
    expect(c.closed).toBeNull();
    c.send("SCORE 1 1");
    expect(await c.next()).toBe("SCORED 1");
    expect(await board.next()).toBe(`SCORE 1 ${r.id} 1`);
  });

  test("a retry of a stored (id, timestamp) is SCORED again and never broadcast again", async () => {
    const c = await pool.client();
    const r = await register(c);
    const board = await pool.listener(r.id, `CONNECT ${r.id}`);
    c.send("SCORE 4294967295 3");
    expect(await c.next()).toBe("SCORED 4294967295");
    expect(await board.next()).toBe(`SCORE 4294967295 ${r.id} 3`);
    c.send("SCORE 4294967295 3");
    c.send("score 4294967295 3\r\n");
    c.send("SCORE 4294967295 9"); // a retry carrying another score keeps the first
    expect(await take(c, 3)).toEqual(["SCORED 4294967295", "SCORED 4294967295", "SCORED 4294967295"]);
    expect(await board.quiet(200)).toBe(true);
    const late = await pool.listener(r.id, `CONNECT ${r.id}`);
    expect(await late.next()).toBe(`SCORE 4294967295 ${r.id} 3`);
    // Another clicker may use the same timestamp: that is a different (id, timestamp).
    const other = await pool.client();
    const ro = await register(other);
    board.send(`LISTEN ${r.id},${ro.id}`);
    expect(await take(board, 2)).toEqual([`CONNECT ${r.id} ${ro.id}`, `SCORE 4294967295 ${r.id} 3`]);
    other.send("SCORE 4294967295 3");
    expect(await other.next()).toBe("SCORED 4294967295");
    expect(await board.next()).toBe(`SCORE 4294967295 ${ro.id} 3`);
  });

  test("SCORE pipelined behind REGISTER and bursts: replies in the order sent", async () => {
    const c = await pool.client();
    c.send("REGISTER");
    for (let i = 0; i < 20; i++) c.send(`SCORE ${i - 10} ${i}`);
    expect(await c.next()).toMatch(REGISTERED);
    expect(await take(c, 20)).toEqual(Array.from({ length: 20 }, (_, i) => `SCORED ${i - 10}`));
  });
});

describe("LISTEN", () => {
  test("ids separated by spaces and/or commas, repeated separators, trailing \\r\\n: CONNECT in the order asked", async () => {
    const [a, b, c] = [await pool.client(), await pool.client(), await pool.client()];
    const [ra, rb, rc] = [await register(a), await register(b), await register(c)];
    const want = `CONNECT ${rc.id} ${ra.id} ${rb.id}`;
    const forms = [
      `${rc.id} ${ra.id} ${rb.id}`,
      `${rc.id},${ra.id},${rb.id}`,
      `${rc.id}, ${ra.id}, ${rb.id}`,
      `${rc.id} ,${ra.id} , ${rb.id}`,
      `${rc.id},,${ra.id}  ${rb.id}`,
      `${rc.id},${ra.id},${rb.id},`,
      `${rc.id} ${ra.id} ${rb.id}\r\n`,
      `${rc.id},${ra.id},${rb.id}\r\n`,
      `${rc.id}, ${ra.id}, ${rb.id}, 999999\r\n`,
    ];
    for (const ids of forms) {
      const l = await pool.client();
      l.send(`LISTEN ${ids}`);
      expect({ ids, reply: await l.next() }).toEqual({ ids, reply: want });
    }
    for (const verb of ["listen", "Listen"]) {
      const l = await pool.client();
      l.send(`${verb} ${ra.id}`);
      expect(await l.next()).toBe(`CONNECT ${ra.id}`);
    }
  });

  test("none connected: exactly `CONNECT`, and no catch-up lines", async () => {
    const gone = await pool.client();
    const r = await register(gone);
    gone.send("SCORE 5 5");
    expect(await gone.next()).toBe("SCORED 5");
    gone.close();
    await gone.waitClose();
    const l = await pool.client();
    l.send(`LISTEN ${r.id} 999998`);
    expect(await l.next()).toBe("CONNECT");
    expect(await l.quiet(200)).toBe(true);
  });

  test("catch-up: after CONNECT, the latest stored score of each connected id, in CONNECT order", async () => {
    const [a, b, c] = [await pool.client(), await pool.client(), await pool.client()];
    const [ra, rb, rc] = [await register(a), await register(b), await register(c)];
    for (const [cl, frames] of [[a, ["SCORE 1 1", "SCORE 2 2"]], [b, ["SCORE -5 7"]]] as const) {
      for (const f of frames) {
        cl.send(f);
        expect(await cl.next()).toStartWith("SCORED ");
      }
    }
    const l = await pool.client();
    l.send(`LISTEN ${rb.id},${rc.id},${ra.id}`);
    // c has no score: no line for it.
    expect(await take(l, 3)).toEqual([`CONNECT ${rb.id} ${rc.id} ${ra.id}`, `SCORE -5 ${rb.id} 7`, `SCORE 2 ${ra.id} 2`]);
    expect(await l.quiet(150)).toBe(true);
  });

  test("LISTEN replaces the previous set; a bad LISTEN keeps it", async () => {
    const [a, b] = [await pool.client(), await pool.client()];
    const [ra, rb] = [await register(a), await register(b)];
    const l = await pool.listener(ra.id, `CONNECT ${ra.id}`);
    for (const bad of ["LISTEN", "LISTEN ", "LISTEN ,", "LISTEN 12345", "LISTEN 1234567", `LISTEN ${rb.id},abcdef`, "LISTEN １２３４５６"]) {
      l.send(bad);
      expect({ bad, reply: await l.next() }).toEqual({ bad, reply: expect.stringMatching(/^ERROR bad_arguments \S/) });
    }
    a.send("SCORE 1 1");
    expect(await a.next()).toBe("SCORED 1");
    expect(await l.next()).toBe(`SCORE 1 ${ra.id} 1`);
    l.send(`LISTEN ${rb.id}`);
    expect(await l.next()).toBe(`CONNECT ${rb.id}`);
    a.send("SCORE 2 2");
    expect(await a.next()).toBe("SCORED 2");
    a.close();
    b.send("SCORE 3 3");
    expect(await b.next()).toBe("SCORED 3");
    expect(await l.next()).toBe(`SCORE 3 ${rb.id} 3`);
    expect(await l.quiet(200)).toBe(true);
  });

  test("repeated ids are listed once", async () => {
    const a = await pool.client();
    const ra = await register(a);
    const l = await pool.client();
    l.send(`LISTEN ${ra.id},${ra.id} ${ra.id}`);
    expect(await l.next()).toBe(`CONNECT ${ra.id}`);
    a.send("SCORE 1 1");
    expect(await a.next()).toBe("SCORED 1");
    expect(await l.next()).toBe(`SCORE 1 ${ra.id} 1`);
    expect(await l.quiet(200)).toBe(true);
  });
});

describe("broadcasts reach exactly the listeners of that id", () => {
  test("CONNECT, SCORE and DISCONNECT go to that id's listeners only", async () => {
    const [a, b] = [await pool.client(), await pool.client()];
    const [ra, rb] = [await register(a), await register(b)];
    const onlyA = await pool.listener(ra.id, `CONNECT ${ra.id}`);
    const both = await pool.listener(`${ra.id},${rb.id}`, `CONNECT ${ra.id} ${rb.id}`);
    const other = await pool.listener("999997", "CONNECT");
    const idle = await pool.client(); // never LISTENs
    const everyone = [a, b, onlyA, both, other, idle];

    a.send("SCORE 100 1");
    expect(await a.next()).toBe("SCORED 100");
    expect(await onlyA.next()).toBe(`SCORE 100 ${ra.id} 1`);
    expect(await both.next()).toBe(`SCORE 100 ${ra.id} 1`);
    b.send("SCORE 100 2");
    expect(await b.next()).toBe("SCORED 100");
    expect(await both.next()).toBe(`SCORE 100 ${rb.id} 2`);

    // A listener set up before the sender exists hears it register.
    const c = await pool.client();
    const pending = await pool.client();
    pending.send("LISTEN 999996");
    expect(await pending.next()).toBe("CONNECT");
    const rc = await register(c);
    pending.send(`LISTEN ${rc.id}`);
    expect(await pending.next()).toBe(`CONNECT ${rc.id}`);
    c.close();
    expect(await pending.next()).toBe(`DISCONNECT ${rc.id}`);

    a.close();
    expect(await onlyA.next()).toBe(`DISCONNECT ${ra.id}`);
    expect(await both.next()).toBe(`DISCONNECT ${ra.id}`);
    const back = await pool.client();
    expect(await register(back, `REGISTER ${ra.secret}`)).toEqual(ra);
    expect(await onlyA.next()).toBe(`CONNECT ${ra.id}`);
    expect(await both.next()).toBe(`CONNECT ${ra.id}`);

    for (const q of everyone.filter((x) => x !== a)) expect(await q.quiet(50)).toBe(true);
    expect(await back.quiet(50)).toBe(true);
    expect(await pending.quiet(50)).toBe(true);
  });

  test("a listener registered before its sender gets CONNECT <id> when it registers", async () => {
    const first = await pool.client();
    const r = await register(first);
    first.close();
    await first.waitClose();
    const l = await pool.listener(`${r.id}`, "CONNECT");
    const back = await pool.client();
    await register(back, `REGISTER ${r.secret}`);
    expect(await l.next()).toBe(`CONNECT ${r.id}`);
  });
});

describe("errors and common rules", () => {
  test("every error is `ERROR <code> <message>` with the contract's codes", async () => {
    const c = await pool.client();
    const cases: Array<[string | Uint8Array, string]> = [
      ["", "unknown_command"],
      ["HELLO", "unknown_command"],
      ["SCORED 1", "unknown_command"],
      ["REGISTERED 000001 abc", "unknown_command"],
      ["CONNECT", "unknown_command"],
      ["007", "unknown_command"],
      ['"x"', "unknown_command"],
      ["ＲＥＧＩＳＴＥＲ", "unknown_command"],
      [" REGISTER", "unknown_command"],
      ["SCORE 1 1", "not_registered"],
      ["LISTEN", "bad_arguments"],
      ["REGISTER a b", "bad_arguments"],
    ];
    for (const [frame, code] of cases) {
      c.send(frame);
      const reply = await c.next();
      expect({ frame, reply }).toEqual({ frame, reply: expect.stringMatching(new RegExp(`^ERROR ${code} \\S[\\x20-\\x7e]*$`)) });
    }
    expect(c.closed).toBeNull();
    await register(c);
  });

  test("a binary frame gets an error reply and the connection stays usable", async () => {
    const c = await pool.client();
    c.send(new TextEncoder().encode("REGISTER"));
    expect(await c.next()).toMatch(/^ERROR bad_arguments \S/);
    await register(c);
  });

  test("over the frame size: closed 1009; a frame at the limit is answered", async () => {
    const c = await pool.client();
    c.send("LISTEN " + "1".repeat(64 * 1024 - 7));
    expect(await c.next()).toMatch(/^ERROR bad_arguments /);
    c.send("LISTEN " + "1".repeat(64 * 1024));
    expect((await c.waitClose()).code).toBe(1009);
  });
});

describe("rate limit with the defaults", () => {
  test("a burst of 400 frames is answered in full and in order; the others are unaffected", async () => {
    const calm = await pool.client();
    const r = await register(calm);
    const board = await pool.listener(r.id, `CONNECT ${r.id}`);
    const burst = await pool.client();
    for (let i = 0; i < 400; i++) burst.send("LISTEN 999999");
    const seen: string[] = [];
    for (let i = 0; i < 400; i++) seen.push(await burst.next(5000));
    expect(seen.every((m) => m === "CONNECT")).toBe(true);
    expect(burst.closed).toBeNull();
    calm.send("SCORE 1 1");
    expect(await calm.next()).toBe("SCORED 1");
    expect(await board.next()).toBe(`SCORE 1 ${r.id} 1`);
  });
});
