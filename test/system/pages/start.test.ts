// The start page "/" in real Chromium at kiosk and phone size: what it links, its QR codes
// (decoded), its connection badge, and no console errors. Screenshots: test-artifacts/screenshots/.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { BrowserSession, kiosk } from "../../helpers/browser.ts";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { pages as defaultPages, type PageEntry } from "../../../src/pages/registry.ts";
import { decodeQr } from "./qr.ts";

const probe = join(import.meta.dir, "..", "..", "fixtures", "probe");
/** The real start page plus test pages on the probe fixture, so the start page has cards to show. */
const registry: PageEntry[] = [
  ...defaultPages.filter((p) => p.path === "/"),
  { path: "/probe-board", dir: probe, title: "Probe board", summary: "A test page listed on the start page." },
  { path: "/probe-phone", dir: probe, title: "Probe phone", summary: "Another one, to fill a second card." },
  { path: "/probe-hidden", dir: probe, title: "Hidden", summary: "Not listed.", listed: false },
];

let srv: TestServer;
let s: BrowserSession | null = null;
beforeAll(async () => {
  srv = await bootServer({}, { pages: registry });
});
afterAll(() => srv.stop());
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

async function openStart(mobile: boolean): Promise<BrowserSession> {
  s = await BrowserSession.open({ mobile });
  await s.page.goto(srv.http + "/");
  await s.page.locator(".sb-status[data-state=open]").waitFor();
  await s.page.locator("#pages .card").first().waitFor();
  return s;
}

for (const mobile of [false, true]) {
  const size = mobile ? "phone" : "kiosk";
  describe(`start page at ${size} size`, () => {
    test(`${size}: lists the registry's listed pages, with decodable QR codes`, async () => {
      const { page } = await openStart(mobile);
      const cards = page.locator("#pages .card");
      expect(await cards.evaluateAll((els) => els.map((e) => e.getAttribute("href")))).toEqual(["/probe-board", "/probe-phone"]);
      expect(await cards.locator("h3").allTextContents()).toEqual(["Probe board", "Probe phone"]);
      // The test server listens on 127.0.0.1, so that is the phone URL, and the page says only
      // this machine can use it.
      expect(await decodeQr(cards.nth(0).locator("svg.sb-qr"))).toBe(`${srv.http}/probe-board`);
      expect(await decodeQr(page.locator("#join-qr svg"))).toBe(`${srv.http}/`);
      expect(await page.locator("#join-url").textContent()).toBe(`127.0.0.1:${srv.port}`);
      expect(await page.locator("#join-note").isVisible()).toBe(true);
      expect(await page.locator("#pages-empty").isVisible()).toBe(false);
      // Nothing wider than the screen (no sideways scrolling on a phone or a kiosk).
      expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(mobile ? 390 : 1280);
      await s!.screenshot(`start-${size}`);
    }, 30_000);

    test(`${size}: lists every endpoint, with live connection counts`, async () => {
      const { page } = await openStart(mobile);
      const paths = await page.locator("#endpoints .ep-path code:not(.alias)").allTextContents();
      expect(paths).toEqual(["/connect", "/OpenSyncParty/ws", "/ws", "/socket.io/", "/mediator", "/healthz", "/metrics", "/api/info"]);
      const ws = new WebSocket(srv.ws("/ws"));
      await new Promise((r) => (ws.onopen = r));
      try {
        // The badge's feed (/healthz, every 5 s) brings the clicker's new connection.
        await page.locator("#endpoints .endpoint:nth-child(3) .count.live").waitFor({ timeout: 15_000 });
        expect(await page.locator("#endpoints .endpoint:nth-child(3) .count").textContent()).toBe("1 connected");
      } finally {
        ws.close();
      }
    }, 30_000);
  });
}

test("on a network: opened on this machine, the page gives phones the LAN URL from /api/info", async () => {
  s = await BrowserSession.open({ viewport: kiosk });
  // The feed a server listening on 0.0.0.0 of a laptop on Wi-Fi gives (the tests listen on
  // 127.0.0.1 only): the real /api/info with its address replaced.
  const lan = `http://192.168.1.20:${srv.port}`;
  await s.page.route("**/api/info", async (route) => {
    const real = (await (await route.fetch()).json()) as Record<string, unknown>;
    await route.fulfill({ json: { ...real, url: lan, urls: [lan], lan: true } });
  });
  await s.page.goto(srv.http + "/");
  await s.page.locator("#pages .card").first().waitFor();
  expect(await s.page.locator("#join-url").textContent()).toBe(`192.168.1.20:${srv.port}`);
  expect(await s.page.locator("#join-note").isVisible()).toBe(false);
  expect(await decodeQr(s.page.locator("#join-qr svg"))).toBe(`${lan}/`);
  expect(await decodeQr(s.page.locator("#pages .card").nth(1).locator("svg.sb-qr"))).toBe(`${lan}/probe-phone`);
  expect(await s.page.locator("#endpoints .ep-url").first().textContent()).toBe(`ws://192.168.1.20:${srv.port}/connect`);
  await s.screenshot("start-kiosk-lan");
}, 30_000);

test("a card opens its page", async () => {
  const { page } = await openStart(false);
  await page.locator("#pages .card").first().click();
  await page.waitForURL(`${srv.http}/probe-board`);
  await page.locator("h1", { hasText: "Probe page" }).waitFor();
}, 30_000);

test("a registry with only the start page: the start page says there are no pages yet", async () => {
  const bare = await bootServer({}, { pages: defaultPages.filter((p) => p.path === "/") });
  try {
    s = await BrowserSession.open({ viewport: kiosk });
    await s.page.goto(bare.http + "/");
    await s.page.locator("#pages-empty").waitFor({ state: "visible" });
    expect(await s.page.locator("#pages .card").count()).toBe(0);
    await s.screenshot("start-kiosk-no-pages");
  } finally {
    await bare.stop();
  }
}, 30_000);
