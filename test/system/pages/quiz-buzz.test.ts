// The phone buzzer /buzz in real headless Chromium as a phone (docs/buzzer.md#the-phone-buzzer),
// with the board /quiz beside it and a receiver emulator in the same rounds: joining once, a press
// on the board with its name, the phone's place, the lockout after a false start, and keeping the
// name and the phone id across a reload and a server restart. Screenshots: test-artifacts/screenshots/.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { ReceiverEmulator } from "../../../scripts/buzzer-emulator.ts";
import { BrowserSession } from "../../helpers/browser.ts";
import { bootServer, operatorHeaders, tempDir, TEST_OPERATOR_TOKEN, testPoolAllow, type TestServer } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";

/** What Chromium logs while the server is away (the restart test stops it on purpose). */
const SERVER_AWAY = /WebSocket connection to .* failed|ERR_CONNECTION_REFUSED|Failed to load resource/;

const dir = tempDir("quiz-buzz-");
const dataDir = tempDir("quiz-buzz-data-");
let emu: ReceiverEmulator;
let srv: TestServer;
let op: TestClient;
const sessions: BrowserSession[] = [];

// A 2 s lockout, so the test can arm and press again inside it on a busy machine.
const boot = (port = 0) => bootServer({ port, poolAllow: testPoolAllow, pool: [emu.path], falseStartMs: 2000 }, { dataDir });
beforeAll(async () => {
  emu = await ReceiverEmulator.start({ link: `${dir}/ttyACM0`, buzzers: [1, 2] });
  srv = await boot();
  await emu.linked();
  op = await TestClient.open(srv.ws("/mediator"), { headers: operatorHeaders });
});
afterAll(async () => {
  op.close();
  await srv.stop();
  emu.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});
afterEach(async () => {
  const open = sessions.splice(0);
  try {
    for (const b of open) b.assertClean();
  } finally {
    for (const b of open) await b.close();
  }
});

const json = async (pred: (m: any) => boolean, ms = 3000) => JSON.parse(await op.until((t) => pred(JSON.parse(t)), ms));
async function session(mobile: boolean): Promise<BrowserSession> {
  const b = await BrowserSession.open({ mobile });
  sessions.push(b);
  return b;
}
async function arm(): Promise<number> {
  op.send({ command: "arm" });
  return (await json((m) => m.result === "arm")).round;
}
async function reset(): Promise<void> {
  op.send({ command: "reset" });
  await json((m) => m.result === "reset");
}

/** A phone on /buzz that has joined as `name`. */
async function joinedPhone(name: string): Promise<BrowserSession> {
  const p = await session(true);
  await p.page.goto(`${srv.http}/buzz`);
  await p.page.locator("#name").waitFor();
  await p.screenshot("buzz-phone-join");
  await p.page.locator("#name").fill(name);
  await p.page.locator("#join").click();
  await p.page.locator("#buzz").waitFor();
  await p.page.locator("#buzz:not([data-state=connecting])").waitFor();
  return p;
}

describe("/buzz as a phone", () => {
  test("join once, buzz: the board shows the press with the name, the phone says first!", async () => {
    await reset();
    const board = await session(false);
    await board.page.goto(`${srv.http}/quiz?token=${TEST_OPERATOR_TOKEN}`);
    await board.page.locator(".sb-status[data-state=open]").waitFor();
    const phone = await joinedPhone("Ann");
    expect(await json((m) => m.event === "connected" && m.pool === "phones")).toMatchObject({ buzzer: expect.any(Number) });
    await phone.page.locator("#buzz[data-state=idle]").waitFor();
    expect(await phone.page.locator("#place").textContent()).toBe("Wait…");
    await phone.screenshot("buzz-phone-idle");
    await board.page.locator("#pools .chip", { hasText: "Ann" }).waitFor();

    const round = await arm();
    await phone.page.locator("#buzz[data-state=armed]").waitFor();
    await phone.screenshot("buzz-phone-armed");
    await phone.page.locator("#buzz").tap();
    const order = await json((m) => m.event === "order" && m.round === round);
    expect(order.order).toEqual([{ pool: "phones", buzzer: expect.any(Number), name: "Ann", ts: expect.any(Number), gap_ms: 0 }]);
    await board.page.locator("#first", { hasText: "Ann" }).waitFor();
    await board.page.locator("#order > li", { hasText: "Ann" }).waitFor();
    await phone.page.locator("#buzz[data-state=first]").waitFor();
    expect(await phone.page.locator("#place").textContent()).toBe("first!");
    expect(await phone.page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    // The button fills the screen below the name row.
    const box = (await phone.page.locator("#buzz").boundingBox())!;
    expect(box.width).toBeGreaterThan(350);
    expect(box.height).toBeGreaterThan(600);
    await phone.screenshot("buzz-phone-first");
    await board.screenshot("quiz-kiosk-phone-first");
  }, 45_000);

  test("second after a receiver: the phone shows its place and the gap behind the winner", async () => {
    await reset();
    const phone = await joinedPhone("Bob");
    const round = await arm();
    await phone.page.locator("#buzz[data-state=armed]").waitFor();
    emu.press(2);
    await json((m) => m.event === "order" && m.round === round);
    await Bun.sleep(40); // the phone presses 40 ms after the receiver: the point
    await phone.page.locator("#buzz").tap();
    let order: any[] = [];
    while (order.length < 2) order = (await json((m) => m.event === "order" && m.round === round)).order;
    expect(order.map((e) => e.pool)).toEqual([emu.path, "phones"]);
    await phone.page.locator("#buzz[data-state=placed]").waitFor();
    expect(await phone.page.locator("#place").textContent()).toBe(`2nd +${Math.round(order[1].gap_ms)} ms`);
    expect(await phone.page.locator("#hint").textContent()).toBe("behind buzzer 2");
    await phone.screenshot("buzz-phone-second");
  }, 45_000);

  test("a press before the question is armed: locked out, and it shows", async () => {
    await reset();
    const phone = await joinedPhone("Cleo");
    await phone.page.locator("#buzz[data-state=idle]").waitFor();
    await phone.page.locator("#buzz").tap();
    await phone.page.locator("#buzz[data-state=locked]").waitFor();
    expect(await phone.page.locator("#place").textContent()).toBe("Too early!");
    await phone.screenshot("buzz-phone-locked");
    // A press inside the lockout does not count once the question is armed.
    const round = await arm();
    await phone.page.locator("#buzz").tap();
    await phone.page.locator("#buzz[data-state=locked]").waitFor();
    // Every press is a raw buzz too: once it is out, the game has judged the press.
    await json((m) => m.event === "buzz" && m.pool === "phones");
    op.send({ list: "round" });
    expect(await json((m) => m.response === "round")).toMatchObject({ round, order: [] });
  }, 45_000);

  test("remembers the name and keeps its phone id across a reload and a server restart, rejoining by itself", async () => {
    await reset();
    const phone = await joinedPhone("Dora");
    phone.allow(SERVER_AWAY);
    const id = await phone.page.evaluate(() => localStorage.getItem("switchboard.buzz.phone_id"));
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    op.send({ list: "buzzers" });
    const before = (await json((m) => m.response === "buzzers")).pools.find((p: any) => p.pool === "phones").buzzers as number[];

    await phone.page.reload();
    await phone.page.locator("#buzz[data-state=idle]").waitFor();
    expect(await phone.page.locator("#join-view").isVisible()).toBe(false);
    expect(await phone.page.locator("#me-name").textContent()).toBe("Dora");
    op.send({ list: "buzzers" });
    expect((await json((m) => m.response === "buzzers")).pools.find((p: any) => p.pool === "phones").buzzers).toEqual(before);

    // The server goes away and comes back on the same port: the page reconnects and rejoins with its id.
    const port = srv.port;
    op.close();
    await srv.stop(false);
    await phone.page.locator("#buzz[data-state=connecting]").waitFor();
    srv = await boot(port);
    await emu.linked();
    op = await TestClient.open(srv.ws("/mediator"), { headers: operatorHeaders });
    await phone.page.locator("#buzz[data-state=idle]").waitFor({ timeout: 15_000 });
    expect(await phone.page.evaluate(() => localStorage.getItem("switchboard.buzz.phone_id"))).toBe(id);
    op.send({ list: "names" });
    expect((await json((m) => m.response === "names")).names).toContainEqual({ pool: "phones", buzzer: expect.any(Number), name: "Dora" });
    const round = await arm();
    await phone.page.locator("#buzz[data-state=armed]").waitFor();
    await phone.page.locator("#buzz").tap();
    expect((await json((m) => m.event === "order" && m.round === round)).order[0]).toMatchObject({ pool: "phones", name: "Dora" });
  }, 60_000);
});
