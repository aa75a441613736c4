// Caps on connections (docs/common.md#caps): per client address and in total, the client address
// taken from X-Forwarded-For only behind a trusted proxy, and /healthz reporting the limits.
import { afterEach, describe, expect, test } from "bun:test";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";
import { upgradeStatus } from "../../helpers/raw-socket.ts";

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});
async function server(overrides: Parameters<typeof bootServer>[0]): Promise<TestServer> {
  const s = await bootServer(overrides);
  cleanup.push(() => s.stop());
  return s;
}
async function open(s: TestServer, path = "/ws", headers?: Record<string, string>): Promise<TestClient> {
  const c = await TestClient.open(s.ws(path), { headers });
  cleanup.push(() => c.close());
  return c;
}

describe("connection caps", () => {
  test("per address: past --max-conns-per-ip an upgrade gets 429 on every endpoint; a slot frees when one closes", async () => {
    const s = await server({ maxConnsPerIp: 3 });
    const held = [await open(s, "/ws"), await open(s, "/mediator"), await open(s, "/connect")];
    for (const path of ["/ws", "/mediator", "/connect", "/OpenSyncParty/ws", "/socket.io/?EIO=4&transport=websocket"]) expect(await upgradeStatus(s.port, path)).toBe(429);
    held[0]!.close();
    await held[0]!.waitClose();
    for (let i = 0; i < 100 && (await upgradeStatus(s.port, "/ws")) !== 101; i++) await Bun.sleep(10);
    const h = (await (await fetch(s.http + "/healthz")).json()) as any;
    expect(h.status).toBe("ok");
    expect(h.limits.max_connections_per_ip).toBe(3);
  });

  test("in total: past --max-conns an upgrade gets 503 and /healthz still answers", async () => {
    const s = await server({ maxConns: 2, maxConnsPerIp: 0 });
    await open(s);
    await open(s);
    expect(await upgradeStatus(s.port, "/ws")).toBe(503);
    const r = await fetch(s.http + "/healthz");
    expect(r.status).toBe(200);
    const h = (await r.json()) as any;
    expect(h.limits).toMatchObject({ max_connections: 2, connections: 2 });
    expect(h.limits.open_files_soft).toBeGreaterThan(0);
    expect(h.limits.open_files_hard).toBeGreaterThanOrEqual(h.limits.open_files_soft);
  });

  test("the default total cap is the open-file limit less a reserve", async () => {
    const s = await server({});
    const h = (await (await fetch(s.http + "/healthz")).json()) as any;
    expect(h.limits.max_connections).toBe(Math.max(64, h.limits.open_files_soft - 256));
    expect(h.limits.max_connections_per_ip).toBe(1000);
  });

  test("behind a trusted proxy each forwarded client has its own cap; an untrusted X-Forwarded-For is ignored", async () => {
    const s = await server({ maxConnsPerIp: 1, trustedProxies: ["127.0.0.1"] });
    await open(s, "/ws", { "x-forwarded-for": "198.51.100.1" });
    expect(await upgradeStatus(s.port, "/ws", { "x-forwarded-for": "198.51.100.1" })).toBe(429);
    expect(await upgradeStatus(s.port, "/ws", { "x-forwarded-for": "198.51.100.2" })).toBe(101);
    const direct = await server({ maxConnsPerIp: 1 });
    await open(direct, "/ws", { "x-forwarded-for": "198.51.100.1" });
    expect(await upgradeStatus(direct.port, "/ws", { "x-forwarded-for": "198.51.100.2" })).toBe(429); // both are 127.0.0.1
  });
});
