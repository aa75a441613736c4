// Real headless Chromium for the page tests (docs/pages.md#testing): Debian's chromium, driven
// through playwright-core, a fresh profile per session. Every console error and uncaught page
// error is recorded and fails the test unless the test allowed that message; screenshots go to
// test-artifacts/screenshots/<name>.png.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { tempDir } from "./server.ts";
import { ensure } from "./tools.ts";

export const CHROMIUM = "/usr/bin/chromium";
export const SCREENSHOTS = join(import.meta.dir, "..", "..", "test-artifacts", "screenshots");

/** No GPU, no network of its own (QUIC, updates, sync, background fetches), no first-run UI. */
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export const kiosk = { width: 1280, height: 720 } as const;
/** A mid-size phone in portrait, as Chromium's device emulation does it. */
export const phone = { width: 390, height: 844 } as const;

export function ensureChromium(): void {
  ensure("chromium", () => Bun.which(CHROMIUM) !== null, ["chromium"]);
}

export class BrowserSession {
  readonly errors: string[] = [];
  private allowed: RegExp[] = [];

  private constructor(readonly context: BrowserContext, readonly page: Page, private readonly profile: string) {}

  static async open(opts: { viewport?: { width: number; height: number }; mobile?: boolean } = {}): Promise<BrowserSession> {
    ensureChromium();
    const profile = tempDir("switchboard-chromium-");
    const mobile = opts.mobile ?? false;
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: opts.viewport ?? (mobile ? phone : kiosk),
      isMobile: mobile,
      hasTouch: mobile,
      deviceScaleFactor: mobile ? 2 : 1,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const s = new BrowserSession(context, page, profile);
    page.on("console", (m) => {
      if (m.type() === "error") s.errors.push(`console: ${m.text()} (${m.location().url})`);
    });
    page.on("pageerror", (e) => s.errors.push(`page error: ${e.message}`));
    return s;
  }

  /** Tolerate console errors matching `re` (only for failures a test causes on purpose). */
  allow(re: RegExp): void {
    this.allowed.push(re);
  }

  /** Errors not allowed so far. */
  unexpected(): string[] {
    return this.errors.filter((e) => !this.allowed.some((re) => re.test(e)));
  }

  /** Throws with every unexpected console or page error. */
  assertClean(): void {
    const bad = this.unexpected();
    if (bad.length) throw new Error(`the page logged ${bad.length} error(s):\n${bad.join("\n")}`);
  }

  /** Full-page screenshot kept as a test artifact; returns its path. */
  async screenshot(name: string): Promise<string> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const file = join(SCREENSHOTS, `${name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")}.png`);
    await this.page.screenshot({ path: file, fullPage: true });
    return file;
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => {});
    rmSync(this.profile, { recursive: true, force: true });
  }
}
