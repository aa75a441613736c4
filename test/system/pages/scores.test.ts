// The scoreboard /scores in real Chromium against the real server (docs/pages.md#scoreboard-scores):
// three simulated clickers over /ws, one going offline and coming back, a scoreboard opened late
// showing the tally at once, grid and ranked views, the timer ending with its WebAudio sound, the
// CSV link, at kiosk and phone size. Screenshots: test-artifacts/screenshots/scores-*.png.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { BrowserSession, phone } from "../../helpers/browser.ts";
import { bootServer, tempDir, type TestServer } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";

let srv: TestServer;
const sockets: TestClient[] = [];
const sessions: BrowserSession[] = [];
beforeAll(async () => {
  srv = await bootServer();
});
afterAll(async () => {
  for (const c of sockets) c.close();
  await srv.stop();
});
afterEach(async () => {
  for (const s of sessions.splice(0)) {
    try {
      s.assertClean();
    } finally {
      await s.close();
    }
  }
});

/** A clicker as the RopeScore devices behave: REGISTER (with its secret when it has one), then SCOREs. */
class Clicker {
  id = "";
  secret = "";
  c: TestClient | null = null;
  private ts = 1000;
  constructor(private readonly server: () => TestServer = () => srv) {}
  async connect(): Promise<this> {
    this.c = await TestClient.open(this.server().ws("/ws"));
    sockets.push(this.c);
    this.c.send(this.secret ? `REGISTER ${this.secret}` : "REGISTER");
    const m = /^REGISTERED (\d{6}) ([0-9a-f]{32})$/.exec(await this.c.next());
    if (!m) throw new Error("no REGISTERED");
    if (this.id && m[1] !== this.id) throw new Error("the secret did not bring the id back");
    [this.id, this.secret] = [m[1]!, m[2]!];
    return this;
  }
  async score(n: number): Promise<void> {
    const ts = (this.ts += 250);
    this.c!.send(`SCORE ${ts} ${n}`);
    expect(await this.c!.next()).toBe(`SCORED ${ts}`);
  }
  async drop(): Promise<void> {
    this.c!.close();
    await this.c!.waitClose();
  }
}

// Code run in the page reaches the DOM through globalThis: this program has Bun's types, not the
// DOM's. Functions, not strings, for waitForFunction: the page's script policy forbids eval.
async function open(path: string, opts: { mobile?: boolean; init?: string; server?: TestServer; allow?: RegExp } = {}): Promise<Page> {
  const s = await BrowserSession.open({ mobile: opts.mobile });
  sessions.push(s);
  if (opts.allow) s.allow(opts.allow);
  if (opts.init) await s.page.addInitScript(opts.init);
  await s.page.goto((opts.server ?? srv).http + path);
  await s.page.locator(".sb-status[data-state=open]").waitFor();
  return s.page;
}

const scoreOf = (page: Page, id: string) => page.locator(`[data-id="${id}"] .tile-score`).textContent();
const stateOf = (page: Page, id: string) => page.locator(`[data-id="${id}"] .tile-state`).textContent();
/** Waits until the tile of `id` shows this score and state word. */
async function tile(page: Page, id: string, score: string, state: string): Promise<void> {
  await page.waitForFunction(
    ([id, score, state]) => {
      const t = (globalThis as any).document.querySelector(`[data-id="${id}"]`);
      return t?.querySelector(".tile-score")?.textContent === score && t.querySelector(".tile-state")?.textContent === state;
    },
    [id, score, state] as const,
    { timeout: 5000 },
  );
}
const order = (page: Page) => page.locator(".tile:not([hidden])").evaluateAll((els) => els.map((e) => e.getAttribute("data-id")));
const noSideScroll = (page: Page) => page.evaluate<boolean>("document.documentElement.scrollWidth <= innerWidth");

describe("scoreboard", () => {
  test("follows three clickers: the tally at once, live scores, one offline and back; grid and ranked; the CSV link", async () => {
    const [a, b, c] = [await new Clicker().connect(), await new Clicker().connect(), await new Clicker().connect()];
    await a.score(5);
    await b.score(3);
    await c.score(8);
    // A fourth id that never connects: offline, no score, last in the ranking.
    const ids = [a.id, b.id, c.id, "000002"];

    // Opened after the scores: the catch-up after LISTEN shows them without waiting for a press.
    const page = await open(`/scores?ids=${ids.join(",")}`);
    await tile(page, a.id, "5", "live");
    await tile(page, b.id, "3", "live");
    await tile(page, c.id, "8", "live");
    await tile(page, "000002", "–", "offline");
    expect(await order(page)).toEqual(ids);
    expect(await page.locator("#ids").inputValue()).toBe(ids.join(", "));

    await a.score(6);
    await tile(page, a.id, "6", "live");
    await b.score(4);
    await tile(page, b.id, "4", "live");

    // C goes away: its tile says offline and keeps the last score; it comes back with its secret.
    await c.drop();
    await tile(page, c.id, "8", "offline");
    await page.locator(`[data-id="${c.id}"][data-state="offline"]`).waitFor();
    await c.connect();
    await tile(page, c.id, "8", "live");
    await c.score(11);
    await tile(page, c.id, "11", "live");
    await page.waitForTimeout(800); // the score's highlight fades before the screenshot
    await sessions[0]!.screenshot("scores-kiosk-grid");

    // Ranked: highest first, ranks shown, an id without a score last and unranked; top 3 hides it.
    await page.locator("#view-ranked").click();
    expect(await order(page)).toEqual([c.id, a.id, b.id, "000002"]);
    expect(await page.locator(".tile .tile-rank").allTextContents()).toEqual(["1", "2", "3", ""]);
    await b.score(20);
    await tile(page, b.id, "20", "live");
    expect(await order(page)).toEqual([b.id, c.id, a.id, "000002"]);
    await page.locator("#top").selectOption("3");
    expect(await order(page)).toEqual([b.id, c.id, a.id]);
    // A tie: both second (a first, as it was given first), and the next rank would be fourth.
    await a.score(11);
    await tile(page, a.id, "11", "live");
    expect(await order(page)).toEqual([b.id, a.id, c.id]);
    expect(await page.locator(".tile:not([hidden]) .tile-rank").allTextContents()).toEqual(["1", "2", "2"]);
    expect(page.url()).toBe(`${srv.http}/scores?ids=${ids.join(",")}&view=ranked&top=3`);
    await page.waitForTimeout(800);
    await sessions[0]!.screenshot("scores-kiosk-ranked");
    await page.locator("#view-grid").click();
    expect(await order(page)).toEqual(ids);
    expect(await page.locator("#top").isVisible()).toBe(false); // how many to rank: only in the ranking

    // The CSV link exports the same ids; the file holds every score of theirs.
    const href = await page.locator("#csv").getAttribute("href");
    expect(href).toBe(`/scores.csv?ids=${ids.join(",")}`);
    const csv = await (await page.request.get(srv.http + href)).text();
    expect(csv.split("\r\n").filter((l) => l).map((l) => l.split(",").slice(0, 3).join(",")).filter((l) => !l.startsWith("id,"))
      .map((l) => l.split(",")[0] + ":" + l.split(",")[2])).toEqual([`${a.id}:5`, `${b.id}:3`, `${c.id}:8`, `${a.id}:6`, `${b.id}:4`, `${c.id}:11`, `${b.id}:20`, `${a.id}:11`]);
    expect(await noSideScroll(page)).toBe(true);
  }, 60_000);

  test("a draft-2 clicker's skipped message numbers show on its tile as missing scores, and go away when they arrive", async () => {
    const c = await TestClient.open(srv.ws("/ws"));
    sockets.push(c);
    c.send("REGISTER");
    const id = (await c.next()).split(" ")[1]!;
    const page = await open(`/scores?ids=${id}`);
    // msgIds 1, 2 and 4: number 3 never came.
    for (const [msg, ts] of [[1, 100], [2, 200], [4, 400]]) {
      c.send(`SCORE ${msg} ${ts} ${msg}`);
      expect(await c.next()).toBe(`SCORED ${msg} ${ts}`);
    }
    await page.locator(`[data-id="${id}"][data-missing="1"]`).waitFor({ timeout: 12_000 });
    expect(await page.locator(`[data-id="${id}"] .tile-missing`).textContent()).toBe("1 score missing");
    c.send("SCORE 3 300 3");
    expect(await c.next()).toBe("SCORED 3 300");
    await page.locator(`[data-id="${id}"][data-missing="0"]`).waitFor({ timeout: 12_000 });
    expect(await page.locator(`[data-id="${id}"] .tile-missing`).isHidden()).toBe(true);
  }, 40_000);

  test("a scoreboard opened late shows the current tally at once, even for ids typed in", async () => {
    const [a, b] = [await new Clicker().connect(), await new Clicker().connect()];
    await a.score(41);
    await b.score(17);
    const page = await open("/scores");
    expect(await page.locator("#empty").isVisible()).toBe(true);
    expect(await page.locator("#csv").getAttribute("aria-disabled")).toBe("true");
    await page.locator("#ids").fill(`${a.id} 12345`);
    await page.locator("#show").click();
    expect(await page.locator("#ids-error").textContent()).toBe("“12345” is not a clicker id: ids are 6 digits.");
    await page.locator("#ids").fill(`${a.id}, ${b.id}, 000001`);
    await page.locator("#show").click();
    await tile(page, a.id, "41", "live");
    await tile(page, b.id, "17", "live");
    // An id that is not connected: offline, no score yet.
    await tile(page, "000001", "–", "offline");
    expect(await page.locator("#ids-error").isVisible()).toBe(false);
    expect(page.url()).toBe(`${srv.http}/scores?ids=${a.id},${b.id},000001`);
  }, 30_000);

  test("the timer: presets, custom, start/stop/reset, and the end sound through WebAudio", async () => {
    // Every oscillator the page starts is recorded: its frequency and when it was scheduled.
    const page = await open("/scores?timer=2", {
      init: `
        window.tones = [];
        const start = OscillatorNode.prototype.start;
        OscillatorNode.prototype.start = function (when) {
          window.tones.push({ freq: this.frequency.value, at: when ?? 0, now: this.context.currentTime });
          return start.call(this, when);
        };`,
    });
    const display = page.locator("#timer-display");
    expect(await display.textContent()).toBe("0:02");
    expect(await page.locator("#timer-custom").inputValue()).toBe("0:02");
    await page.locator("[data-preset='30']").click();
    expect(await display.textContent()).toBe("0:30");
    expect(await page.locator("[data-preset='30']").getAttribute("aria-pressed")).toBe("true");
    await page.locator("#timer-start").click();
    await page.locator("#timer[data-state=running]").waitFor();
    await page.waitForFunction(() => (globalThis as any).document.querySelector("#timer-display")?.textContent === "0:29");
    await page.locator("#timer-stop").click();
    const held = await display.textContent();
    await page.waitForTimeout(1200);
    expect(await display.textContent()).toBe(held!);
    expect(await page.locator("#timer-start").textContent()).toBe("Resume");
    await page.locator("#timer-reset").click();
    expect(await display.textContent()).toBe("0:30");
    expect(await page.evaluate("window.tones.length")).toBe(0);

    // A custom length, typed as m:ss, runs to zero and sounds.
    await page.locator("#timer-custom").fill("0:02");
    await page.locator("#timer-set").click();
    expect(await display.textContent()).toBe("0:02");
    await page.locator("#timer-start").click();
    await page.locator("#timer[data-state=done]").waitFor({ timeout: 5000 });
    expect(await display.textContent()).toBe("0:00");
    expect(await page.locator("#timer-title").textContent()).toBe("Time’s up");
    await page.waitForFunction(() => (globalThis as any).tones.length >= 3);
    const tones = await page.evaluate<{ freq: number; at: number; now: number }[]>("window.tones");
    expect(tones.map((t) => t.freq)).toEqual([880, 880, 1320]);
    // Scheduled on the AudioContext clock, one after another.
    expect(tones[1]!.at - tones[0]!.at).toBeCloseTo(0.28, 3);
    expect(tones[2]!.at - tones[1]!.at).toBeCloseTo(0.28, 3);
    expect(tones[0]!.at).toBeGreaterThanOrEqual(tones[0]!.now);
    await sessions[0]!.screenshot("scores-timer-done");
    expect(page.url()).toBe(`${srv.http}/scores?timer=2`);
  }, 30_000);

  test("phone size: tiles and timer in one column, no sideways scrolling, states readable", async () => {
    const clickers = [await new Clicker().connect(), await new Clicker().connect(), await new Clicker().connect()];
    for (const [i, k] of clickers.entries()) await k.score(10 + i * 7);
    await clickers[2]!.drop();
    const ids = clickers.map((k) => k.id);
    const page = await open(`/scores?ids=${ids.join(",")}`, { mobile: true });
    await tile(page, ids[0]!, "10", "live");
    await tile(page, ids[1]!, "17", "live");
    await tile(page, ids[2]!, "–", "offline"); // left before the page opened: no catch-up for it
    expect(page.viewportSize()).toEqual(phone);
    expect(await noSideScroll(page)).toBe(true);
    const box = await page.locator(`[data-id="${ids[0]}"] .tile-score`).boundingBox();
    expect(box!.height).toBeGreaterThan(40); // large type on a phone too
    await sessions[0]!.screenshot("scores-phone");
    await page.locator("#view-ranked").click();
    expect(await order(page)).toEqual([ids[1], ids[0], ids[2]]);
    expect(await noSideScroll(page)).toBe(true);
    await sessions[0]!.screenshot("scores-phone-ranked");
    expect(await stateOf(page, ids[2]!)).toBe("offline");
    expect(await scoreOf(page, ids[0]!)).toBe("10");
  }, 30_000);

  test("reconnects by itself after the server restarts: the badge says so, the tiles dim and keep their scores, then it listens again and follows the clicker back", async () => {
    const data = tempDir();
    let other = await bootServer({}, { dataDir: data });
    const port = other.port;
    try {
      const k = await new Clicker(() => other).connect();
      await k.score(9);
      const page = await open(`/scores?ids=${k.id}`, { server: other, allow: /WebSocket connection to .* failed|ERR_CONNECTION_REFUSED/ });
      await tile(page, k.id, "9", "live");
      await other.stop(false);
      await page.locator(".sb-status[data-state=waiting]").waitFor();
      await page.locator("#tiles[data-link=down]").waitFor();
      expect(await scoreOf(page, k.id)).toBe("9"); // the last known score stays, dimmed
      await sessions.at(-1)!.screenshot("scores-reconnecting");
      other = await bootServer({ port }, { dataDir: data });
      await page.locator(".sb-status[data-state=open]").waitFor({ timeout: 15_000 });
      await page.locator("#tiles[data-link=up]").waitFor();
      await tile(page, k.id, "9", "offline"); // the clicker has not come back yet
      await k.connect(); // its secret survived the restart: the same id
      await tile(page, k.id, "9", "live");
      await k.score(10);
      await tile(page, k.id, "10", "live");
    } finally {
      await other.stop();
    }
  }, 45_000);
});
