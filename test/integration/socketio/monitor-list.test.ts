// The relay's `monitors` extension against the real server with socket.io-client
// (docs/socketio.md#monitor-list): the online list as reply event and ack, and the user token.
import { afterEach, describe, expect, test } from "bun:test";
import { Reason } from "../../../src/protocols/socketio/errors.ts";
import type { Config } from "../../../src/config.ts";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { SioTestClient, type Mode } from "../../helpers/clients/socketio.ts";

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});
async function server(config: Partial<Config> = {}): Promise<TestServer> {
  const s = await bootServer(config);
  cleanup.push(() => s.stop());
  return s;
}
async function client(s: TestServer, mode: Mode, token?: string): Promise<SioTestClient> {
  const c = await SioTestClient.connect(s.http, mode, token === undefined ? undefined : { token });
  cleanup.push(() => c.close());
  return c;
}
async function failures(s: TestServer): Promise<number> {
  const m = /^switchboard_auth_failures_total\{protocol="socketio"\} (\d+)$/m.exec(await (await fetch(s.http + "/metrics")).text());
  return Number(m![1]);
}

describe("monitors", () => {
  test("the monitors online, on either transport, as `monitors ok` and in the ack", async () => {
    const s = await server();
    const a = await client(s, "websocket");
    expect(await a.emitWithAck("con", { monitor_id: "pump-2" })).toEqual({ reason: "ok" });
    const b = await client(s, "polling");
    expect(await b.emitWithAck("con", { monitor_id: "door" })).toEqual({ reason: "ok" });
    const u = await client(s, "polling");
    await u.emitWithAck("query", { monitor_id: "door" });
    await u.emitWithAck("command send", { command: "open" });
    const list = { reason: "ok", monitors: [{ monitor_id: "door", pending: 1 }, { monitor_id: "pump-2", pending: 0 }], total: 2 };
    expect(await u.emitWithAck("monitors")).toEqual(list);
    expect(await u.next("monitors ok")).toEqual(list);
    a.close();
    for (let i = 0; i < 100; i++) {
      if ((await u.emitWithAck("monitors")).total === 1) break;
      await Bun.sleep(20);
    }
    expect(await u.emitWithAck("monitors")).toEqual({ reason: "ok", monitors: [{ monitor_id: "door", pending: 1 }], total: 1 });
  });

  test("with --sio-user-token: a connection without it is refused (a failed attempt) and stays; with it, the list", async () => {
    const s = await server({ sioUserToken: "user-secret" });
    const m = await client(s, "websocket");
    expect(await m.emitWithAck("con", { monitor_id: "pump" })).toEqual({ reason: "ok" });
    expect(await m.emitWithAck("monitors")).toEqual({ reason: Reason.noUserRole });
    expect(await m.next("monitors failed")).toEqual({ reason: Reason.noUserRole });
    expect(m.disconnected).toBeNull();
    expect(await failures(s)).toBe(1);
    const u = await client(s, "websocket", "user-secret");
    expect(await u.emitWithAck("monitors")).toEqual({ reason: "ok", monitors: [{ monitor_id: "pump", pending: 0 }], total: 1 });
    expect(await failures(s)).toBe(1);
  });
});
