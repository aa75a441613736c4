// Operator token URL, origin checks and the kept operator token (docs/access.md), black-box
// against the real server over HTTP and raw WebSocket handshakes.
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { bootServer, TEST_OPERATOR_TOKEN, tempDir, type TestServer } from "../../helpers/server.ts";
import { upgradeStatus } from "../../helpers/raw-socket.ts";

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});
async function server(overrides: Parameters<typeof bootServer>[0] = {}, dataDir?: string): Promise<TestServer> {
  const s = await bootServer(overrides, { dataDir });
  cleanup.push(() => s.stop(dataDir === undefined));
  return s;
}
const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers, redirect: "manual" });
const WS_PATHS = ["/connect", "/metronome", "/OpenSyncParty/ws", "/ws", "/mediator", "/socket.io/?EIO=4&transport=websocket"];

describe("the console URL", () => {
  test("?token=<operator token> sets an HttpOnly, SameSite=Strict cookie and redirects to the URL without it", async () => {
    const s = await server();
    const r = await get(`${s.http}/?token=${TEST_OPERATOR_TOKEN}`);
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/");
    const cookie = r.headers.get("set-cookie")!;
    expect(cookie).toStartWith(`switchboard_operator=${TEST_OPERATOR_TOKEN};`);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/");
    expect(cookie).not.toContain("Secure"); // plain http: a Secure cookie would never come back
    // Other query parameters stay.
    const deep = await get(`${s.http}/quiz?a=1&token=${TEST_OPERATOR_TOKEN}&b=2`);
    expect(deep.status).toBe(303);
    expect(deep.headers.get("location")).toBe("/quiz?a=1&b=2");
  });

  test("a wrong token gets 403 and no cookie; Socket.IO's own query parameters are left alone", async () => {
    const s = await server();
    const r = await get(`${s.http}/?token=guess`);
    expect(r.status).toBe(403);
    expect(r.headers.get("set-cookie")).toBeNull();
    const sio = await get(`${s.http}/socket.io/?EIO=4&transport=polling&token=whatever`);
    expect(sio.status).toBe(200);
    expect(await sio.text()).toStartWith("0{");
  });

  test("without --operator-token one is generated, kept in the data dir (mode 0600) and the same after a restart", async () => {
    const dir = tempDir();
    cleanup.push(() => Bun.spawnSync(["rm", "-rf", dir]));
    const first = await server({ operatorToken: "" }, dir);
    const kept = readFileSync(join(dir, "operator-token"), "utf8").trim();
    expect(kept).toMatch(/^[0-9a-f]{32}$/);
    expect(statSync(join(dir, "operator-token")).mode & 0o777).toBe(0o600);
    expect(first.server.consoleUrl).toEndWith(`:${first.port}/?token=${kept}`);
    await first.stop(false);
    cleanup = cleanup.slice(0, -1);
    const second = await server({ operatorToken: "" }, dir);
    expect(second.server.consoleUrl).toEndWith(`/?token=${kept}`);
    expect((await get(`${second.http}/?token=${kept}`)).status).toBe(303);
  });

  test("a configured token is used and nothing is written to the data dir", async () => {
    const dir = tempDir();
    cleanup.push(() => Bun.spawnSync(["rm", "-rf", dir]));
    const s = await server({ operatorToken: "configured-token-abc" }, dir);
    expect(s.server.consoleUrl).toEndWith("/?token=configured-token-abc");
    expect(() => statSync(join(dir, "operator-token"))).toThrow();
  });
});

describe("--allowed-origins", () => {
  test("by default any Origin may connect to every endpoint (real clients live on other origins)", async () => {
    const s = await server();
    for (const path of WS_PATHS) expect(await upgradeStatus(s.port, path, { origin: "https://jellyfin.example" })).toBe(101);
    expect(await upgradeStatus(s.port, "/ws", { origin: "Espruino" })).toBe(101);
  });

  test("restricted: other origins get 403 on every upgrade and Socket.IO request; no Origin, listed and own origins pass", async () => {
    const s = await server({ allowedOrigins: ["https://ok.example"] });
    for (const path of WS_PATHS) {
      expect(await upgradeStatus(s.port, path, { origin: "https://evil.example" })).toBe(403);
      expect(await upgradeStatus(s.port, path, { origin: "https://ok.example" })).toBe(101);
      expect(await upgradeStatus(s.port, path)).toBe(101);
      expect(await upgradeStatus(s.port, path, { origin: `http://127.0.0.1:${s.port}` })).toBe(101);
    }
    const poll = (origin?: string) => get(`${s.http}/socket.io/?EIO=4&transport=polling`, origin ? { origin } : {});
    expect((await poll("https://evil.example")).status).toBe(403);
    expect((await poll("https://ok.example")).status).toBe(200);
    expect((await poll()).status).toBe(200);
    // Plain HTTP that is not a protocol endpoint is not an origin matter.
    expect((await get(`${s.http}/healthz`, { origin: "https://evil.example" })).status).toBe(200);
  });
});
