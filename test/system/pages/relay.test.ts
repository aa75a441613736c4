// The relay console /relay in real Chromium against the real server (docs/pages.md#relay-console-relay):
// a python-socketio monitor is listed, picked and sent commands that end in `command finish`,
// `command failed` (the monitor's error, and its disconnect); the user token is asked for and
// kept out of the address; kiosk and phone size. Screenshots: test-artifacts/screenshots/relay-*.png.
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import type { Config } from "../../../src/config.ts";
import { BrowserSession } from "../../helpers/browser.ts";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { ensurePythonSocketio, PyPeer } from "../../helpers/clients/python-socketio.ts";

let cleanup: Array<() => unknown> = [];
const sessions: BrowserSession[] = [];
beforeAll(() => ensurePythonSocketio(), 300_000);
afterEach(async () => {
  try {
    for (const s of sessions) s.assertClean();
  } finally {
    for (const s of sessions.splice(0)) await s.close();
    for (const f of cleanup.reverse()) await f();
    cleanup = [];
  }
});

async function server(config: Partial<Config> = {}): Promise<TestServer> {
  // A short heartbeat, so a killed monitor is noticed quickly even without a TCP reset.
  const s = await bootServer({ sioPingIntervalMs: 500, sioPingTimeoutMs: 500, ...config });
  cleanup.push(() => s.stop());
  return s;
}
async function monitor(s: TestServer, id: string, token?: string): Promise<PyPeer> {
  const m = PyPeer.start({ url: s.http, role: "monitor", monitorId: id, transport: "websocket", token });
  cleanup.push(() => m.kill());
  expect(await m.next("con ok")).toEqual({ reason: "ok" });
  return m;
}
async function open(s: TestServer, mobile = false): Promise<{ page: Page; session: BrowserSession }> {
  const session = await BrowserSession.open({ mobile });
  sessions.push(session);
  await session.page.goto(`${s.http}/relay`);
  return { page: session.page, session };
}

/** The log entry of a command, found by its text. */
const entry = (page: Page, command: string) => page.locator(".entry", { has: page.locator(".cmd", { hasText: new RegExp(`^${command}$`) }) });
const steps = (page: Page, command: string) => entry(page, command).locator(".step .ev").allTextContents();

async function send(page: Page, command: string): Promise<void> {
  await page.locator("#command").fill(command);
  await page.locator("#send").click();
}

describe("relay console", () => {
  test("lists a python-socketio monitor, sends it commands: ok → finish, ok → failed with the monitor's reason, and its disconnect", async () => {
    const s = await server();
    const m = await monitor(s, "greenhouse-1");
    await monitor(s, "attic-fan");
    const { page, session } = await open(s);
    await page.locator(".sb-status[data-state=open]").waitFor();
    await page.locator("[data-monitor='greenhouse-1']").waitFor();
    expect(await page.locator(".monitor .monitor-id").allTextContents()).toEqual(["attic-fan", "greenhouse-1"]);
    expect(await page.locator("#send").isDisabled()).toBe(true);

    await page.locator("[data-monitor='greenhouse-1']").click();
    await page.locator("#target[data-state=online]").waitFor();
    expect(await page.locator("#target-text").textContent()).toBe("greenhouse-1 · online");

    await send(page, "pump on");
    expect((await m.next("command do")).command).toBe("pump on");
    await entry(page, "pump on").and(page.locator("[data-state=finish]")).waitFor();
    expect(await steps(page, "pump on")).toEqual(["sent", "command ok", "command finish"]);
    const id = await entry(page, "pump on").getAttribute("data-command-id");
    expect(id).toMatch(/^[A-Za-z0-9_-]{6}-\d+$/);
    // Both answers name the command's id, with a time and the delay since it was sent.
    expect(await entry(page, "pump on").locator(".step .id").allTextContents()).toEqual([id!, id!]);
    for (const t of await entry(page, "pump on").locator(".step time").allTextContents()) expect(t).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3}$/);
    expect(await entry(page, "pump on").locator(".step .dt").allTextContents()).toEqual([expect.stringMatching(/^\+\d+ ms$/), expect.stringMatching(/^\+\d+ ms$/)]);

    await send(page, "fail valve");
    await entry(page, "fail valve").and(page.locator("[data-state=failed]")).waitFor();
    expect(await steps(page, "fail valve")).toEqual(["sent", "command ok", "command failed"]);
    expect(await entry(page, "fail valve").locator(".reason").textContent()).toBe("refused by the monitor");

    // A command the monitor never finishes is running, and shows how many the monitor holds.
    await send(page, "hang lights");
    await entry(page, "hang lights").and(page.locator("[data-state=ok]")).waitFor();
    await page.locator("[data-monitor='greenhouse-1'] .monitor-pending", { hasText: "1 running" }).waitFor({ timeout: 10_000 });
    await session.screenshot("relay-kiosk");

    // The monitor goes away: its open command fails, it leaves the list, the page says it is offline.
    m.kill();
    await entry(page, "hang lights").and(page.locator("[data-state=failed]")).waitFor({ timeout: 10_000 });
    expect(await entry(page, "hang lights").locator(".reason").textContent()).toBe("monitor disconnected");
    await page.locator("#target[data-state=offline]").waitFor();
    await page.locator("[data-monitor='greenhouse-1']").waitFor({ state: "detached" });
    expect(await page.locator("#send").isDisabled()).toBe(true);

    // It comes back (a new connection, the same id): online again, commands flow.
    const again = await monitor(s, "greenhouse-1");
    await page.locator("#target[data-state=online]").waitFor();
    await send(page, "pump off");
    expect((await again.next("command do")).command).toBe("pump off");
    await entry(page, "pump off").and(page.locator("[data-state=finish]")).waitFor();
    expect(await page.evaluate("document.documentElement.scrollWidth <= innerWidth")).toBe(true);
  }, 60_000);

  test("with a user token: the page asks for it, a wrong one is refused, the right one works; never in the address", async () => {
    const s = await server({ sioUserToken: "user-secret-1" });
    await monitor(s, "door");
    const { page, session } = await open(s, true);
    await page.locator("#token-card").waitFor();
    expect(await page.locator("#token-why").textContent()).toBe("This relay needs a user token to send commands.");
    expect(await page.locator(".sb-status").textContent()).toBe("Disconnected: waiting for the user token");
    await session.screenshot("relay-phone-token");
    await page.locator("#token").fill("guess");
    await page.locator("#token-use").click();
    await page.locator("#token-why", { hasText: "refused that token (invalid or missing user token)" }).waitFor();
    await page.locator("#token").fill("user-secret-1");
    await page.locator("#token-use").click();
    await page.locator("[data-monitor='door']").click();
    await page.locator("#target[data-state=online]").waitFor();
    await send(page, "open");
    await entry(page, "open").and(page.locator("[data-state=finish]")).waitFor();
    expect(await page.locator("#token-card").isVisible()).toBe(false);
    expect(page.url()).toBe(`${s.http}/relay`);
    expect(await page.evaluate(`sessionStorage.getItem("switchboard.relay.userToken")`)).toBe("user-secret-1");
    expect(await page.evaluate("document.documentElement.scrollWidth <= innerWidth")).toBe(true);
    await session.screenshot("relay-phone");

    // A reload in the same tab keeps the token: no question again.
    await page.reload();
    await page.locator("[data-monitor='door']").waitFor();
    expect(await page.locator("#token-card").isVisible()).toBe(false);
  }, 60_000);

  test("reconnects by itself after the server restarts, picks its monitor again, and says which results were lost", async () => {
    const first = await bootServer({ sioPingIntervalMs: 500, sioPingTimeoutMs: 500 });
    const port = first.port;
    cleanup.push(() => first.stop().catch(() => {}));
    let m = PyPeer.start({ url: first.http, role: "monitor", monitorId: "pump", transport: "websocket" });
    cleanup.push(() => m.kill());
    await m.next("con ok");
    const { page, session } = await open(first);
    session.allow(/WebSocket connection to .* failed|ERR_CONNECTION_REFUSED/);
    await page.locator("[data-monitor='pump']").click();
    await page.locator("#target[data-state=online]").waitFor();
    await send(page, "hang a while");
    await entry(page, "hang a while").and(page.locator("[data-state=ok]")).waitFor();
    m.kill();
    await entry(page, "hang a while").and(page.locator("[data-state=failed]")).waitFor({ timeout: 10_000 });
    m = PyPeer.start({ url: first.http, role: "monitor", monitorId: "pump", transport: "websocket" });
    await m.next("con ok");
    await page.locator("#target[data-state=online]").waitFor({ timeout: 10_000 });
    await send(page, "hang again");
    await entry(page, "hang again").and(page.locator("[data-state=ok]")).waitFor();

    await first.stop();
    m.kill();
    await page.locator(".sb-status[data-state=waiting]").waitFor();
    await entry(page, "hang again").and(page.locator("[data-state=lost]")).waitFor();
    expect(await steps(page, "hang again")).toEqual(["sent", "command ok", "connection lost"]);
    await page.locator("#target[data-state=unknown]").waitFor();

    const second = await server({ port });
    m = PyPeer.start({ url: second.http, role: "monitor", monitorId: "pump", transport: "websocket" });
    cleanup.push(() => m.kill());
    await m.next("con ok");
    await page.locator(".sb-status[data-state=open]").waitFor({ timeout: 15_000 });
    await page.locator("#target[data-state=online]").waitFor({ timeout: 10_000 });
    await send(page, "pump on");
    await entry(page, "pump on").and(page.locator("[data-state=finish]")).waitFor();
  }, 60_000);
});
