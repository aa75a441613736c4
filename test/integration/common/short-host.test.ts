// A board reached by a short name (http://pi:8080) is served like any other host: every route
// and endpoint answers, whatever the length of the Host header.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { upgradeStatus } from "../../helpers/raw-socket.ts";

let s: TestServer;
beforeAll(async () => {
  s = await bootServer();
});
afterAll(() => s.stop());

/** A raw HTTP/1.1 GET with the given Host header; resolves with the status code. */
async function statusWithHost(path: string, host: string): Promise<number> {
  let done!: (n: number) => void;
  const result = new Promise<number>((r) => (done = r));
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port: s.port,
    socket: {
      data: (_sock, data) => done(Number(/^HTTP\/1\.1 (\d{3})/.exec(data.toString("latin1"))?.[1] ?? 0)),
      close: () => done(0),
      error: () => done(0),
    },
  });
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  const status = await result;
  socket.end();
  return status;
}

describe("short Host headers", () => {
  for (const host of ["pi", "a", "abc", "pi:8080", "abcd"]) {
    test(`Host: ${host}`, async () => {
      expect(await statusWithHost("/healthz", host)).toBe(200);
      expect(await statusWithHost("/metrics", host)).toBe(200);
      expect(await statusWithHost("/socket.io/?EIO=4&transport=polling", host)).toBe(200);
      expect(await statusWithHost("/ws", host)).toBe(426);
      expect(await statusWithHost("/nope", host)).toBe(404);
      expect(await upgradeStatus(s.port, "/ws", { host })).toBe(101);
    });
  }
});
