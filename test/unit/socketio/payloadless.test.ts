// Socket.IO packets that socket.io-parser decodes without a payload
// (docs/socketio.md#namespaces-and-malformed-packets). Found by the codec fuzzing
// (test/unit/fuzz/socketio.test.ts): `42` reached the event handlers, which threw (a 1011 and an
// error log for a client's malformed packet), and `43<id>` threw in the ack callback.
import { describe, expect, test } from "bun:test";
import { silentLogger } from "../../../src/log.ts";
import { SioServer, type SioOptions } from "../../../src/socketio/sio/server.ts";
import type { SioSocket } from "../../../src/socketio/sio/socket.ts";
import { Close } from "../../../src/transport/close-codes.ts";
import { FakeClock, FakeLink } from "./fakes.ts";

const opts: SioOptions = {
  pingIntervalMs: 10_000, pingTimeoutMs: 5_000, maxPayload: 10_000, upgradeTimeoutMs: 1_000, closeTimeoutMs: 1_000,
  maxBufferedPackets: 1_000, connectTimeoutMs: 3_000, corsOrigin: ["*"],
};

function connected() {
  const io = new SioServer(new FakeClock(), { publish: () => {} }, opts, { framesIn: 0, framesOut: 0, errors: 0 }, silentLogger);
  const events: unknown[][] = [];
  const sockets: SioSocket[] = [];
  io.of("/").onConnection((s) => sockets.push(s));
  io.of("/").onUnknown((_s, event, args) => events.push([event, ...args]));
  const link = new FakeLink();
  const session = io.engine.wsOpened(link, { kind: "new" })!;
  const send = (f: string) => session.wsFrame(link, f);
  send("40");
  link.take();
  return { link, send, events, socket: sockets[0]! };
}

describe("Socket.IO packets without a payload", () => {
  test("an EVENT without a payload is malformed: the session is closed, no handler runs", () => {
    for (const frame of ["42", "421", "42/,"]) {
      const c = connected();
      expect(() => c.send(frame)).not.toThrow();
      expect(c.events).toEqual([]);
      expect(c.link.closed?.code).toBe(Close.normal);
    }
  });

  test("an ACK without a payload calls the ack with no arguments", () => {
    const c = connected();
    const got: unknown[][] = [];
    c.socket.emit("ask", (...args: unknown[]) => got.push(args));
    expect(c.link.take()).toEqual(['421["ask"]']);
    expect(() => c.send("431")).not.toThrow();
    expect(got).toEqual([[]]);
    expect(c.link.closed).toBeNull();
  });
});
