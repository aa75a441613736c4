// Shared by the relay access-control tests: one server per test (the throttle keys on the client
// address, and every client here comes from 127.0.0.1), clients that are closed at the end.
import { afterAll, expect } from "bun:test";
import type { Config } from "../../../src/config.ts";
import { Reason } from "../../../src/protocols/socketio/errors.ts";
import { SioTestClient, Wire, type Mode } from "../../helpers/clients/socketio.ts";
import { bootServer, type TestServer } from "../../helpers/server.ts";

export const cleanup: Array<() => void> = [];

/** Registers the file's setup and teardown; call once at the top of a test file. */
export function useAuthTests(): void {
  afterAll(() => {
    for (const f of cleanup.splice(0)) f();
  });
}

/** A server for one test, stopped at its end. */
export async function withServer(config: Partial<Config>, fn: (t: TestServer) => Promise<void>): Promise<void> {
  const t = await bootServer(config);
  try {
    await fn(t);
  } finally {
    await t.stop();
  }
}
export async function client(t: TestServer, mode: Mode, token?: string): Promise<SioTestClient> {
  const c = await SioTestClient.connect(t.http, mode, token === undefined ? undefined : { token });
  cleanup.push(() => c.close());
  return c;
}
export async function failuresMetric(t: TestServer): Promise<number> {
  const text = await (await fetch(t.http + "/metrics")).text();
  const m = /^switchboard_auth_failures_total\{protocol="socketio"\} (\d+)$/m.exec(text);
  if (!m) throw new Error("no switchboard_auth_failures_total in /metrics");
  return Number(m[1]);
}
/** A raw WebSocket session with its open packet consumed (no namespace joined yet). */
export async function rawSession(t: TestServer): Promise<Wire> {
  const w = await Wire.open(t.ws("/socket.io/?EIO=4&transport=websocket"));
  cleanup.push(() => w.close());
  expect(((await w.next()) as string)[0]).toBe("0");
  return w;
}
export const refusedConnect = (err: any) => {
  expect(err.message).toBe(Reason.badToken);
  expect(err.data).toEqual({ reason: Reason.badToken });
};

