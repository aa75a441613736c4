// Clicker draft-2 against the real server (docs/clicker.md#draft-2): the Espruino firmware's
// SCORE <msgId> <timestamp> <score>, SUBSCRIBE and LISTEN scoreboards side by side, retries,
// msgId gaps in /metrics and the gaps feed, and the Espruino ws module's "pong" pongs.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";
import { EspruinoClicker } from "./espruino.ts";

let s: TestServer;
const open: Array<{ close(): void } | EspruinoClicker> = [];
beforeAll(async () => {
  // Short keepalive so the pong test sees many pings and idle timeouts in a second or two.
  s = await bootServer({ pingIntervalMs: 100, idleTimeoutMs: 300 });
});
afterEach(() => {
  for (const c of open.splice(0)) (c instanceof EspruinoClicker ? c.drop() : c.close());
});
afterAll(() => s.stop());

async function clicker(): Promise<EspruinoClicker> {
  const c = await EspruinoClicker.open(s.port);
  open.push(c);
  return c;
}
/** A scoreboard: `verb <ids>`, with its CONNECT reply checked exactly. */
async function board(verb: "LISTEN" | "SUBSCRIBE", ids: string, connect: string): Promise<TestClient> {
  const c = await TestClient.open(s.ws("/ws"));
  open.push(c);
  c.send(`${verb} ${ids}`);
  expect(await c.next()).toBe(connect);
  return c;
}
/** A sample of /metrics. */
async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${s.http}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  if (!m) throw new Error(`${name} is not in /metrics`);
  return Number(m[1]);
}
const feed = async (query = "") => (await fetch(`${s.http}/api/clicker/gaps${query}`)).json() as Promise<any>;

describe("the Espruino clicker (draft-2) with draft-1 and draft-2 scoreboards", () => {
  test("every press reaches both kinds of scoreboard in its own order; SCORED empties the send queue", async () => {
    const dev = await clicker();
    const id = await dev.register();
    const other = await TestClient.open(s.ws("/ws")); // a draft-1 clicker beside it
    open.push(other);
    other.send("REGISTER");
    const id1 = /^REGISTERED (\d{6}) /.exec(await other.next())![1]!;
    const sub = await board("SUBSCRIBE", `${id},${id1}`, `CONNECT ${id} ${id1}`);
    const lis = await board("LISTEN", `${id} ${id1}`, `CONNECT ${id} ${id1}`);

    let ts = "";
    for (let n = 1; n <= 3; n++) {
      const [, msgId, stamp, count] = dev.press().split(" ");
      ts = stamp!;
      expect(await dev.until((t) => t.startsWith("SCORED "))).toBe(`SCORED ${msgId} ${ts}`);
      expect(await sub.next()).toBe(`SCORE ${ts} ${count} ${id}`);
      expect(await lis.next()).toBe(`SCORE ${ts} ${id} ${count}`);
    }
    expect(dev.sendQ).toEqual([]);
    other.send("SCORE -5 9");
    expect(await other.next()).toBe("SCORED -5");
    expect(await sub.next()).toBe(`SCORE -5 9 ${id1}`);
    expect(await lis.next()).toBe(`SCORE -5 ${id1} 9`);

    // Late scoreboards start from the current tally, each in its own draft.
    const lateSub = await board("SUBSCRIBE", id, `CONNECT ${id}`);
    expect(await lateSub.next()).toBe(`SCORE ${ts} 3 ${id}`);
    const lateLis = await board("LISTEN", id, `CONNECT ${id}`);
    expect(await lateLis.next()).toBe(`SCORE ${ts} ${id} 3`);

    dev.drop();
    expect(await sub.next()).toBe(`DISCONNECT ${id}`);
    expect(await lis.next()).toBe(`DISCONNECT ${id}`);
  });

  test("a retry of a stored msgId is SCORED again and broadcast once, also after a reconnect with the secret", async () => {
    const dev = await clicker();
    dev.send("REGISTER");
    const [, id, secret] = /^REGISTERED (\d{6}) ([0-9a-f]{32})$/.exec(await dev.until((t) => t.startsWith("REGISTERED")))!;
    const sub = await board("SUBSCRIBE", id!, `CONNECT ${id}`);
    const frame = dev.press();
    const [, msgId, ts] = frame.split(" ");
    await dev.until((t) => t === `SCORED ${msgId} ${ts}`);
    expect(await sub.next()).toBe(`SCORE ${ts} 1 ${id}`);
    dev.retry(frame);
    expect(await dev.until((t) => t.startsWith("SCORED"))).toBe(`SCORED ${msgId} ${ts}`);
    // Back on a new connection with its secret: the same id, and the old msgId is still a retry.
    const back = await clicker();
    back.send(`REGISTER ${secret}`);
    await back.until((t) => t === `REGISTERED ${id} ${secret}`);
    expect(await sub.next()).toBe(`CONNECT ${id}`);
    back.send(frame);
    expect(await back.until((t) => t.startsWith("SCORED"))).toBe(`SCORED ${msgId} ${ts}`);
    expect(await sub.quiet(200)).toBe(true);
  });

  test("a gap in msgIds shows in /metrics and the gaps feed until the missing scores arrive", async () => {
    const before = await metric("switchboard_clicker_missing_scores");
    const withGaps = await metric("switchboard_clicker_senders_missing_scores");
    const dev = await clicker();
    const id = await dev.register();
    const sub = await board("SUBSCRIBE", id, `CONNECT ${id}`);
    dev.press(); // msgId 1
    const lost = [dev.pressLost(), dev.pressLost()]; // 2 and 3 never arrive
    dev.press(); // msgId 4
    await dev.wait(() => dev.sendQ.length === 2);
    expect(dev.sendQ.map(([m]) => m)).toEqual([2, 3]);
    expect(await metric("switchboard_clicker_missing_scores")).toBe(before + 2);
    expect(await metric("switchboard_clicker_senders_missing_scores")).toBe(withGaps + 1);
    expect(await feed(`?ids=${id}`)).toEqual({ missing: before + 2, senders: [{ id, missing: 2, highest_msg_id: 4, gaps: [{ first: 2, last: 3 }] }] });
    expect((await feed()).senders).toContainEqual({ id, missing: 2, highest_msg_id: 4, gaps: [{ first: 2, last: 3 }] });
    for (let i = 0; i < 2; i++) await sub.next();

    // The clicker sends its queue again: msgId 3 first, so 2 is still missing.
    dev.retry(lost[1]!);
    await dev.wait(() => dev.sendQ.length === 1);
    expect(await sub.next()).toBe(`SCORE ${lost[1]!.split(" ")[2]} 3 ${id}`);
    expect(await feed(`?ids=${id}`)).toMatchObject({ senders: [{ id, missing: 1, gaps: [{ first: 2, last: 2 }] }] });
    dev.retry(lost[0]!);
    await dev.wait(() => dev.sendQ.length === 0);
    expect(await metric("switchboard_clicker_missing_scores")).toBe(before);
    expect(await metric("switchboard_clicker_senders_missing_scores")).toBe(withGaps);
    expect(await feed(`?ids=${id},000000`)).toEqual({
      missing: before,
      senders: [
        { id, missing: 0, highest_msg_id: 4, gaps: [] },
        { id: "000000", missing: 0, highest_msg_id: null, gaps: [] },
      ],
    });
    const bad = await fetch(`${s.http}/api/clicker/gaps?ids=12345`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "bad_ids", message: "ids are 6 digits, got 12345" });
  });

  test("the Espruino ws module's pongs carry \"pong\": they count as alive, past many idle timeouts", async () => {
    const dev = await clicker();
    const id = await dev.register();
    const lis = await board("LISTEN", id, `CONNECT ${id}`);
    // 1.5 s is five idle timeouts (300 ms) at a ping every 100 ms: only the pongs keep it open.
    const until = Date.now() + 1500;
    while (Date.now() < until) await Bun.sleep(50);
    expect(dev.closed).toBe(false);
    expect(dev.serverPings.length).toBeGreaterThanOrEqual(5);
    // Its own pings (payload "ping") are answered with that payload.
    dev.ping();
    await dev.wait(() => dev.pongs.length > 0);
    expect(dev.pongs).toEqual(["ping"]);
    const [, msgId, ts] = dev.press().split(" ");
    expect(await dev.until((t) => t.startsWith("SCORED"))).toBe(`SCORED ${msgId} ${ts}`);
    expect(await lis.next()).toBe(`SCORE ${ts} ${id} 1`);
  });

  test("the same client without its pongs is closed after the idle timeout (the check above is real)", async () => {
    const quiet = await clicker();
    quiet.answerPings = false; // it neither pongs nor sends: the server gives up on it
    await quiet.wait(() => quiet.closed, 3000);
    expect(quiet.serverPings.length).toBeGreaterThanOrEqual(1);
  });
});
