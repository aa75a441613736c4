// The operator console on "/" in real Chromium (docs/pages.md#the-operator-console): opened
// through the console URL (the cookie flow of docs/access.md#browsers), it shows activity on every
// protocol, follows a pool being connected and a room being created as they happen, its
// connect/disconnect buttons drive the mediator, it reconnects by itself after a server restart
// with a visible state, and without operator rights "/" stays the start page. Screenshots:
// test-artifacts/screenshots/console-*.png.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { ReceiverEmulator } from "../../../scripts/buzzer-emulator.ts";
import { startActivity, type Activity } from "../../helpers/activity.ts";
import { BrowserSession } from "../../helpers/browser.ts";
import { openMediator, untilJson } from "../../helpers/clients/buzzer.ts";
import { Peer } from "../../helpers/clients/syncparty.ts";
import { bootServer, tempDir, testPoolAllow, type TestServer } from "../../helpers/server.ts";
import { waitFor } from "../../helpers/wait.ts";
import { TestClient } from "../../helpers/ws-client.ts";
import { decodeQr } from "./qr.ts";

/** What Chromium logs while the server is away: expected only in the restart test. */
const SERVER_AWAY = /ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE|WebSocket connection to .* failed/;

let srv: TestServer;
let act: Activity;
let s: BrowserSession | null = null;
beforeAll(async () => {
  srv = await bootServer({ poolAllow: testPoolAllow });
  act = await startActivity(srv);
}, 30_000);
afterAll(async () => {
  await act.close();
  await srv.stop();
});
afterEach(async () => {
  const session = s;
  s = null;
  if (session) {
    try {
      session.assertClean();
    } finally {
      await session.close();
    }
  }
});

/** The console URL the server logs, on the address the test server listens on. */
const consoleUrl = (server: TestServer) => server.server.consoleUrl.replace(/^https?:\/\/[^/]+/, server.http);

async function openConsole(mobile = false, server = srv): Promise<BrowserSession> {
  s = await BrowserSession.open({ mobile });
  await s.page.goto(consoleUrl(server));
  // The token URL answered with the cookie and a redirect to "/" without the token.
  expect(s.page.url()).toBe(server.http + "/");
  await s.page.locator(".console").waitFor();
  await s.page.locator(".sb-status[data-state=open]").waitFor();
  await s.page.locator("[data-room]").first().waitFor();
  return s;
}

for (const mobile of [false, true]) {
  const size = mobile ? "phone" : "kiosk";
  test(`${size}: opened through the console URL, it shows every protocol's live state`, async () => {
    const { page } = await openConsole(mobile);
    expect(await page.locator("h1").textContent()).toBe("Switchboard console");
    // Live values: each is waited for (a busy machine may show a pool's link resetting for a moment).
    const tile = (id: string, value: string) => page.locator(`#${id} .tile-value`, { hasText: new RegExp(`^${value}$`) }).waitFor({ timeout: 5000 });
    for (const [id, value] of [["t-groups", "1"], ["t-rooms", "1"], ["t-clickers", "1"], ["t-monitors", "1"], ["t-pools", "1"], ["t-store", "OK"]]) await tile(id!, value!);
    // Metronome group: owner, members, tempo, playing.
    const group = page.locator(`[data-group="${act.group}"]`);
    expect(await group.textContent()).toContain(`owner ${act.group} · 2 members: ${act.group}, ${act.member}`);
    expect(await group.textContent()).toContain("120 bpm");
    expect(await group.locator(".pill").textContent()).toBe("playing");
    // Watch room: host, viewers, a position that runs while playing.
    const room = page.locator(`[data-room="${act.room}"]`);
    expect(await room.textContent()).toContain("host alice · 2 viewers: Alice (host), Bob");
    expect(await room.locator(".pill").last().textContent()).toBe("playing");
    const pos = async () => (await room.locator(".pos").textContent())!;
    const p0 = await pos();
    await waitFor(async () => (await pos()) !== p0, { timeoutMs: 5000, everyMs: 100, what: "the room's position to move" });
    // Clickers: online and offline, latest score, scores today.
    const online = page.locator(`[data-clicker="${act.clicker}"]`);
    expect(await online.locator("td").allTextContents()).toEqual([act.clicker, "online", "9", "2"]);
    expect(await page.locator(`[data-clicker="${act.gone}"] td`).allTextContents()).toEqual([act.gone, "offline", "3", "1"]);
    // Relay: the monitor with its pending command.
    const mon = page.locator(`[data-monitor="${act.monitor}"]`);
    expect(await mon.textContent()).toContain("1 pending");
    expect(await mon.locator(".cmds li").textContent()).toBe(`${act.command} lights on`);
    // Buzzer pool with its buzzers and a Disconnect button.
    const pool = page.locator(`[data-pool="${act.pool}"][data-state=connected]`);
    await pool.waitFor({ timeout: 5000 });
    expect(await pool.locator(".chip").allTextContents()).toEqual(["#1", "#2", "#3"]);
    // Connections per endpoint.
    expect(await page.locator('[data-endpoint="metronome"] .num').textContent()).toBe("2");
    // The page URLs with QR codes a phone can read.
    expect(await decodeQr(page.locator('[data-page="/"] svg.sb-qr'))).toBe(`${srv.http}/`);
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(mobile ? 390 : 1280);
    await page.mouse.wheel(0, -100_000); // back to the top: the pinned badge is drawn where the view is
    await s!.screenshot(`console-${size}`);
  }, 60_000);
}

test("it follows a pool being connected elsewhere and a room being created, as they happen", async () => {
  const { page } = await openConsole();
  const emulator = await ReceiverEmulator.start({ buzzers: [7, 8], bootDelayMs: 20 });
  const med = await openMediator(srv.ws(""));
  const host = new Peer(await TestClient.open(srv.ws("/OpenSyncParty/ws")), "carol");
  try {
    med.send({ command: "connect", pool: emulator.path });
    await untilJson(med, (m) => m.result === "connect", 8000);
    await page.locator(`[data-pool="${emulator.path}"][data-state=connected]`).waitFor({ timeout: 3000 });
    expect(await page.locator(`[data-pool="${emulator.path}"] .chip`).allTextContents()).toEqual(["#7", "#8"]);
    await host.create("late-room", { name: "Carol" });
    await page.locator('[data-room="late-room"]').waitFor({ timeout: 3000 });
    expect(await page.locator("#t-rooms .tile-value").textContent()).toBe("2");
    // A buzz lights its buzzer's chip on the console.
    emulator.press(8);
    await page.locator(`[data-pool="${emulator.path}"] .chip.buzzed[data-buzzer="8"]`).waitFor({ timeout: 3000 });
    await s!.screenshot("console-kiosk-follows");
  } finally {
    host.close();
    med.send({ command: "disconnect", pool: emulator.path });
    await untilJson(med, (m) => m.result === "disconnect").catch(() => {});
    med.close();
    emulator.stop();
  }
}, 60_000);

test("its Connect and Disconnect buttons connect and disconnect a pool through /mediator", async () => {
  const emulator = await ReceiverEmulator.start({ buzzers: [2, 4], bootDelayMs: 20 });
  const watcher = await openMediator(srv.ws(""), {});
  try {
    const { page } = await openConsole();
    const row = page.locator(`[data-pool="${emulator.path}"]`);
    // The pty appears among the devices to connect (the folders are read every 2 s).
    await row.locator("button.connect").waitFor({ timeout: 5000 });
    await row.locator("button.connect").click();
    await page.locator(`[data-pool="${emulator.path}"][data-state=connected]`).waitFor({ timeout: 8000 });
    expect(await page.locator("#pool-msg").textContent()).toBe(`Connected ${emulator.path} (2 buzzers).`);
    // Another client of the mediator saw it happen.
    await untilJson(watcher, (m) => m.event === "connected" && m.pool === emulator.path && m.buzzer === 4, 3000);
    await row.locator("button.disconnect").click();
    await untilJson(watcher, (m) => m.event === "disconnected" && m.pool === emulator.path && m.buzzer === null, 3000);
    await page.locator(`[data-pool="${emulator.path}"][data-state=available]`).waitFor({ timeout: 3000 });
    expect(await page.locator("#pool-msg").textContent()).toBe(`Disconnected ${emulator.path}.`);
  } finally {
    watcher.close();
    emulator.stop();
  }
}, 60_000);

test("without operator rights, / is the start page and the feed is refused", async () => {
  s = await BrowserSession.open();
  s.allow(/status of 401/); // the page's own fetch below
  await s.page.goto(srv.http + "/");
  await s.page.locator(".masthead h1", { hasText: "Switchboard" }).waitFor();
  expect(await s.page.locator(".console").count()).toBe(0);
  expect(await s.page.evaluate(() => fetch("/api/status").then((r) => r.status))).toBe(401);
  await s.screenshot("console-refused-start-page");
}, 30_000);

describe("across a server restart", () => {
  test("the console shows it is reconnecting with the time of its data, then comes back by itself", async () => {
    const data = tempDir();
    let own = await bootServer({}, { dataDir: data });
    const port = own.port;
    try {
      s = await BrowserSession.open();
      s.allow(SERVER_AWAY);
      await s.page.goto(consoleUrl(own));
      await s.page.locator(".console .sb-status[data-state=open], .sb-status[data-state=open]").waitFor();
      await s.page.locator("#t-store .tile-value", { hasText: "OK" }).waitFor();
      await own.stop(false);
      await s.page.locator(".sb-status:not([data-state=open])").waitFor({ timeout: 10_000 });
      await s.page.locator("#stale", { hasText: /^Reconnecting… showing the state at / }).waitFor({ timeout: 5000 });
      expect(await s.page.locator("body").getAttribute("data-feed")).not.toBe("open");
      await s.screenshot("console-kiosk-reconnecting");
      own = await bootServer({ port }, { dataDir: data });
      await s.page.locator(".sb-status[data-state=open]").waitFor({ timeout: 15_000 });
      await s.page.locator("#stale").waitFor({ state: "hidden" });
      // A fresh server: its uptime starts again.
      await s.page.locator("#sub", { hasText: /up \d s/ }).waitFor();
    } finally {
      await own.stop();
    }
  }, 60_000);
});
