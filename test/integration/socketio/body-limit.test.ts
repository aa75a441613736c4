// A long-polling POST is bounded by maxPayload while it streams in (docs/socketio.md#payload-size): a
// chunked body, which has no Content-Length, is refused with 413 once it passes the limit, and the
// rest is never read or buffered.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { bootServer, type TestServer } from "../../helpers/server.ts";

let s: TestServer;
beforeAll(async () => {
  s = await bootServer({ sioMaxPayload: 64 * 1024 });
});
afterAll(() => s.stop());

async function handshake(): Promise<string> {
  const body = await (await fetch(`${s.http}/socket.io/?EIO=4&transport=polling`)).text();
  return JSON.parse(body.slice(1)).sid;
}

/** POST a chunked body of up to `total` bytes; resolves with the status and how much was written before the answer. */
async function chunkedPost(sid: string, total: number): Promise<{ status: number; written: number }> {
  let status = 0;
  let answered!: () => void;
  const done = new Promise<void>((r) => (answered = r));
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port: s.port,
    socket: {
      data(_s, d) {
        const m = /^HTTP\/1\.1 (\d{3})/.exec(d.toString("latin1"));
        if (m) status = Number(m[1]);
        answered();
      },
      close: () => answered(),
      error: () => answered(),
      drain() {},
    },
  });
  socket.write(`POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n`);
  const chunk = "4" + "x".repeat(16 * 1024 - 1);
  let written = 0;
  while (written < total && status === 0) {
    socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    written += chunk.length;
    await Bun.sleep(1);
  }
  await Promise.race([done, Bun.sleep(3000)]);
  socket.end();
  return { status, written };
}

test("a chunked body past maxPayload gets 413 before the client has sent it all", async () => {
  const sid = await handshake();
  const { status, written } = await chunkedPost(sid, 8 * 1024 * 1024);
  expect(status).toBe(413);
  expect(written).toBeLessThan(8 * 1024 * 1024);
  // The session is gone (the reference drops it too).
  const r = await fetch(`${s.http}/socket.io/?EIO=4&transport=polling&sid=${sid}`);
  expect(r.status).toBe(400);
});

test("a chunked body within maxPayload is read and handled", async () => {
  const sid = await handshake();
  const r = await fetch(`${s.http}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
    method: "POST",
    body: new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode("40"));
        c.close();
      },
    }),
  });
  expect(r.status).toBe(200);
  expect(await r.text()).toBe("ok");
});
