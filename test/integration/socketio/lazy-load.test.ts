// The Socket.IO layer and the relay are loaded on the first /socket.io/ request (relay/plugin.ts).
// A fresh server's very first handshake, over polling and over a WebSocket with no polling
// before it, must be answered as any later one is; /metrics shows the relay before that.
// In this process the module may already be loaded by an earlier test; the last tests start a
// server process of their own, where the first handshake really loads it.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startChild } from "../../../scripts/lib/spawn.ts";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { SioTestClient, type Mode } from "../../helpers/clients/socketio.ts";

let s: TestServer | null = null;
const clients: SioTestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await s?.stop();
  s = null;
});

const connect = async (mode: Mode) => {
  const c = await SioTestClient.connect(s!.http, mode);
  clients.push(c);
  return c;
};

describe("Socket.IO loaded on first use", () => {
  for (const mode of ["polling", "websocket", "default"] as const) {
    test(`a fresh server's first handshake (${mode}) connects and relays`, async () => {
      s = await bootServer();
      const monitor = await connect(mode);
      // "default" starts on polling and may already have upgraded.
      if (mode !== "default") expect(monitor.socket.io.engine.transport.name).toBe(mode);
      expect(await monitor.emitWithAck("con", { monitor_id: `first-${mode}` })).toEqual({ reason: "ok" });
      const user = await connect(mode);
      expect(await user.emitWithAck("query", { monitor_id: `first-${mode}` })).toEqual({ reason: "ok", online: true });
      monitor.socket.on("command do", (job: { id: string }) => monitor.emit("command done", { id: job.id }));
      const ok = await user.emitWithAck("command send", { command: "hello" });
      expect(await user.next("command finish")).toEqual({ reason: expect.any(String), id: ok.id });
    }, 20_000);
  }

  test("two first handshakes at once share one load", async () => {
    s = await bootServer();
    const [a, b] = await Promise.all([connect("websocket"), connect("polling")]);
    expect(await a.emitWithAck("con", { monitor_id: "both" })).toEqual({ reason: "ok" });
    expect(await b.emitWithAck("query", { monitor_id: "both" })).toEqual({ reason: "ok", online: true });
  }, 20_000);

  test("/metrics lists the relay's gauges before any Socket.IO client", async () => {
    s = await bootServer();
    const text = await (await fetch(`${s.http}/metrics`)).text();
    expect(text).toContain("switchboard_socketio_monitors 0");
    expect(text).toContain("switchboard_socketio_pending_commands 0");
    expect(text).toMatch(/protocol="socketio"/);
  });

  for (const mode of ["polling", "websocket"] as const) {
    test(`a new server process's first handshake (${mode}) loads the layer and relays`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "switchboard-lazy-"));
      const child = await startChild([process.execPath, join(import.meta.dir, "../../../src/main.ts"), "--host", "127.0.0.1", "--port", "0", "--data-dir", join(dir, "data")], { timeoutMs: 15_000 });
      try {
        const base = `http://127.0.0.1:${child.port}`;
        const monitor = await SioTestClient.connect(base, mode);
        clients.push(monitor);
        expect(await monitor.emitWithAck("con", { monitor_id: "proc" })).toEqual({ reason: "ok" });
        const user = await SioTestClient.connect(base, mode);
        clients.push(user);
        expect(await user.emitWithAck("query", { monitor_id: "proc" })).toEqual({ reason: "ok", online: true });
      } finally {
        for (const c of clients.splice(0)) c.close();
        await child.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }, 30_000);
  }
});
