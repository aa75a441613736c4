// The shared browser library in real Chromium, through the probe page (test/fixtures/probe):
// the reconnecting socket and its badge across a server restart, the 4001 rule, going offline,
// and the WebAudio beep.
import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import type { PageEntry } from "../../../src/pages/registry.ts";
import { BrowserSession } from "../../helpers/browser.ts";
import { bootServer, tempDir, type TestServer } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";

const registry: PageEntry[] = [{ path: "/probe", dir: join(import.meta.dir, "..", "..", "fixtures", "probe"), title: "Probe", summary: "" }];
const OPEN_FRAME = '{"jsonrpc":"2.0","id":null,"result":{"status":"success"}}';
/** What Chromium logs while the server is away: expected in the tests that stop it on purpose. */
const SERVER_AWAY = /WebSocket connection to .* failed|ERR_CONNECTION_REFUSED|ERR_INTERNET_DISCONNECTED/;

let s: BrowserSession | null = null;
const servers: TestServer[] = [];
afterEach(async () => {
  const session = s;
  s = null;
  for (const srv of servers.splice(0)) await srv.stop().catch(() => {});
  if (session) {
    try {
      session.assertClean();
    } finally {
      await session.close();
    }
  }
});

async function boot(port = 0, dataDir?: string): Promise<TestServer> {
  const srv = await bootServer({ port }, { pages: registry, dataDir });
  servers.push(srv);
  return srv;
}

const badge = (state: string) => s!.page.locator(`.sb-status[data-state=${state}]`);

test("the socket reconnects by itself after the server restarts, and the badge shows each state", async () => {
  const data = tempDir();
  let srv = await boot(0, data);
  const port = srv.port;
  s = await BrowserSession.open();
  s.allow(SERVER_AWAY);
  await s.page.goto(`${srv.http}/probe?ws=/connect`);
  await badge("open").waitFor();
  expect(await s.page.locator(".sb-status").textContent()).toBe("Connected");
  await s.page.locator("#last", { hasText: OPEN_FRAME }).waitFor();

  await srv.stop(false);
  servers.splice(servers.indexOf(srv), 1);
  await badge("waiting").waitFor();
  expect(await s.page.locator(".sb-status").textContent()).toMatch(/^Reconnecting in \d+ s$/);
  await s.screenshot("probe-reconnecting");

  // The same port again (the one the first server was given); the page finds it without a reload.
  srv = await boot(port, data);
  await badge("open").waitFor({ timeout: 10_000 });
  await s.page.locator("#opens", { hasText: "2" }).waitFor();
  await s.screenshot("probe-reconnected");
}, 30_000);

test("closed with 4001 (a newer connection took the seat): the socket stays closed and says why", async () => {
  const srv = await boot();
  const first = await TestClient.open(srv.ws("/ws"));
  first.send("REGISTER");
  const secret = (await first.next()).split(" ")[2]!;
  first.close();
  s = await BrowserSession.open();
  await s.page.goto(`${srv.http}/probe?ws=/ws&hello=${encodeURIComponent(`REGISTER ${secret}`)}`);
  await s.page.locator("#last", { hasText: /^REGISTERED \d{6} / }).waitFor();
  // Another device registers with the same secret: the page's older socket is closed with 4001.
  const newer = await TestClient.open(srv.ws("/ws"));
  newer.send(`REGISTER ${secret}`);
  await newer.next();
  await badge("closed").waitFor();
  expect(await s.page.locator(".sb-status").textContent()).toBe("Disconnected: opened in another tab");
  // It does not fight the newer connection for the seat.
  expect(await newer.quiet(1500)).toBe(true);
  expect(await s.page.locator("#opens").textContent()).toBe("1");
  newer.close();
}, 30_000);

test("offline: the badge says so, and the socket reconnects as soon as the network is back", async () => {
  const data = tempDir();
  let srv = await boot(0, data);
  const port = srv.port;
  s = await BrowserSession.open({ mobile: true });
  s.allow(SERVER_AWAY);
  await s.page.goto(`${srv.http}/probe`);
  await badge("open").waitFor();
  await s.page.context().setOffline(true);
  // The network going away ends the connection from the server side too.
  await srv.stop(false);
  servers.splice(servers.indexOf(srv), 1);
  await badge("offline").waitFor();
  expect(await s.page.locator(".sb-status").textContent()).toBe("Offline: waiting for the network");
  await s.screenshot("probe-offline-phone");
  srv = await boot(port, data);
  await s.page.context().setOffline(false);
  await badge("open").waitFor({ timeout: 10_000 });
  expect(await s.page.locator("#opens").textContent()).toBe("2");
}, 30_000);

test("beep: a click unlocks WebAudio and plays a tone without errors", async () => {
  const srv = await boot();
  s = await BrowserSession.open();
  await s.page.goto(`${srv.http}/probe`);
  await s.page.locator("#beep").click();
  await s.page.locator("#audio", { hasText: "running" }).waitFor();
}, 30_000);
