// Sessions on /ws (docs/clicker.md#commands): several clickers and scoreboards with the gauges,
// a retry across a reconnect, one connection that sends and listens, plain HTTP refused.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";
import { register } from "../../helpers/clients/clicker.ts";

describe("clicker /ws: sessions", () => {
  let s: TestServer;
  const open: TestClient[] = [];
  const client = async () => {
    const c = await TestClient.open(s.ws("/ws"));
    open.push(c);
    return c;
  };
  /** A registered clicker and a scoreboard listening to it. */
  const clickerAndBoard = async () => {
    const clicker = await client();
    const r = await register(clicker);
    const board = await client();
    board.send(`LISTEN ${r.id}`);
    expect(await board.next()).toBe(`CONNECT ${r.id}`);
    return { clicker, board, r };
  };
  beforeAll(async () => {
    s = await bootServer();
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await s.stop();
  });

  test("several clickers and two scoreboards", async () => {
    const [a, b, c] = [await client(), await client(), await client()];
    const ra = await register(a);
    const board1 = await client();
    const board2 = await client();
    const rb = await register(b);
    expect(new Set([ra.id, rb.id]).size).toBe(2);

    board1.send(`LISTEN ${ra.id},${rb.id}`);
    expect(await board1.next()).toBe(`CONNECT ${ra.id} ${rb.id}`);
    a.send("SCORE 100 1");
    expect(await a.next()).toBe("SCORED 100");
    expect(await board1.next()).toBe(`SCORE 100 ${ra.id} 1`);

    // Board 2 asks for c before c exists, with spaces and commas mixed.
    const rc = await register(c);
    board2.send(`listen ${rb.id}, ${ra.id} ${rc.id}\r\n`);
    expect(await board2.next()).toBe(`CONNECT ${rb.id} ${ra.id} ${rc.id}`);
    expect(await board2.next()).toBe(`SCORE 100 ${ra.id} 1`); // catch-up: a's latest

    b.send("SCORE -7 1");
    expect(await b.next()).toBe("SCORED -7");
    c.send("SCORE 4294967295 1");
    expect(await c.next()).toBe("SCORED 4294967295");
    a.send("SCORE 101 2");
    expect(await a.next()).toBe("SCORED 101");
    expect([await board1.next(), await board1.next()]).toEqual([`SCORE -7 ${rb.id} 1`, `SCORE 101 ${ra.id} 2`]);
    expect([await board2.next(), await board2.next(), await board2.next()]).toEqual([
      `SCORE -7 ${rb.id} 1`,
      `SCORE 4294967295 ${rc.id} 1`,
      `SCORE 101 ${ra.id} 2`,
    ]);

    c.close();
    expect(await board2.next()).toBe(`DISCONNECT ${rc.id}`);
    expect(await board1.quiet()).toBe(true);

    // A late scoreboard starts from the current tally of the connected senders.
    const late = await client();
    late.send(`LISTEN ${ra.id} ${rb.id} ${rc.id}`);
    expect(await late.next()).toBe(`CONNECT ${ra.id} ${rb.id}`);
    expect([await late.next(), await late.next()]).toEqual([`SCORE 101 ${ra.id} 2`, `SCORE -7 ${rb.id} 1`]);

    // LISTEN replaces the set.
    board1.send(`LISTEN ${rb.id}`);
    expect(await board1.next()).toBe(`CONNECT ${rb.id}`);
    expect(await board1.next()).toBe(`SCORE -7 ${rb.id} 1`);
    a.send("SCORE 102 3");
    expect(await a.next()).toBe("SCORED 102");
    expect(await late.next()).toBe(`SCORE 102 ${ra.id} 3`);
    expect(await board1.quiet()).toBe(true);

    const metrics = await (await fetch(s.http + "/metrics")).text();
    expect(metrics).toMatch(/^switchboard_clicker_senders 2$/m);
    expect(metrics).toMatch(/^switchboard_clicker_listeners 3$/m);
    const health = (await (await fetch(s.http + "/healthz")).json()) as any;
    expect(health.connections.clicker).toBe(open.length - 1);
  });

  test("a retried (id, timestamp) is acknowledged each time and broadcast once", async () => {
    const { clicker: a, board, r } = await clickerAndBoard();
    for (let i = 0; i < 3; i++) {
      a.send("SCORE 5000 4");
      expect(await a.next()).toBe("SCORED 5000");
    }
    expect(await board.next()).toBe(`SCORE 5000 ${r.id} 4`);
    expect(await board.quiet(200)).toBe(true);
    // The retry after a reconnect (the SCORED was lost with the old socket) is still a retry.
    a.close();
    expect(await board.next()).toBe(`DISCONNECT ${r.id}`);
    const back = await client();
    await register(back, `REGISTER ${r.secret}`);
    expect(await board.next()).toBe(`CONNECT ${r.id}`);
    back.send("SCORE 5000 4");
    expect(await back.next()).toBe("SCORED 5000");
    expect(await board.quiet(200)).toBe(true);
  });

  test("a client may send and listen on one connection", async () => {
    const both = await client();
    const r = await register(both);
    both.send(`LISTEN ${r.id}`);
    expect(await both.next()).toBe(`CONNECT ${r.id}`);
    both.send("SCORE 1 1");
    expect([await both.next(), await both.next()]).toEqual(["SCORED 1", `SCORE 1 ${r.id} 1`]);
    // A burst committed together (its SCORED replies written as one corked run): still each
    // SCORED before its own broadcast, in the order sent.
    for (let i = 2; i <= 6; i++) both.send(`SCORE ${i} ${i * 10}`);
    const got: string[] = [];
    for (let i = 0; i < 10; i++) got.push(await both.next());
    expect(got).toEqual([2, 3, 4, 5, 6].flatMap((i) => [`SCORED ${i}`, `SCORE ${i} ${r.id} ${i * 10}`]));
  });

  test("a plain HTTP request to /ws gets 426", async () => {
    expect((await fetch(s.http + "/ws")).status).toBe(426);
  });
});
