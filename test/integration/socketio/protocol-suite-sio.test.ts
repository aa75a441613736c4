// The Socket.IO half of the published Socket.IO v5 protocol test suite's cases
// (socketio/socket.io-protocol, test-suite, EIO=4; docs/socketio.md#namespaces-and-malformed-packets),
// written anew against the reference server with the suite's frame-by-frame reads: connect,
// disconnect, messages, acks. The Engine.IO half: protocol-suite.test.ts.
import { describe, expect, test } from "bun:test";
import { bytes, PH, referenceServer } from "./reference-server.ts";

const { ws, initSocketIOConnection } = referenceServer();

describe("Socket.IO connect", () => {
  const cases: Array<[string, string, string]> = [
    ["40", "40", '42["auth",{}]'],
    ['40{"token":"123"}', "40", '42["auth",{"token":"123"}]'],
    ["40/custom,", "40/custom,", '42/custom,["auth",{}]'],
    ['40/custom,{"token":"abc"}', "40/custom,", '42/custom,["auth",{"token":"abc"}]'],
  ];
  for (const [connect, prefix, auth] of cases) {
    test(`${connect}: CONNECT with only a sid, then the auth echo`, async () => {
      const w = await ws();
      await w.next();
      w.send(connect);
      const data = (await w.next()) as string;
      expect(data.startsWith(prefix)).toBe(true);
      const handshake = JSON.parse(data.substring(prefix.length));
      expect(Object.keys(handshake)).toEqual(["sid"]);
      expect(typeof handshake.sid).toBe("string");
      expect(await w.next()).toBe(auth);
    });
  }

  test("an unknown namespace gets exactly 44/random,{\"message\":\"Invalid namespace\"}", async () => {
    const w = await ws();
    await w.next();
    w.send("40/random");
    expect(await w.next()).toBe('44/random,{"message":"Invalid namespace"}');
  });

  test("an invalid handshake '4abc' closes the connection", async () => {
    const w = await ws();
    await w.next();
    w.send("4abc");
    await w.waitClose();
  });

  test("no handshake at all: the connection is closed (mocha's 2 s budget)", async () => {
    const w = await ws();
    await w.waitClose(2000);
  });
});

describe("Socket.IO disconnect", () => {
  test("41 leaves the main namespace; the Engine.IO session lives on: the next frame is a ping", async () => {
    const w = await initSocketIOConnection();
    w.send("41");
    expect(await w.next()).toBe("2");
    expect(w.closed).toBeNull();
  });

  test("connect then disconnect /custom; the main namespace still answers", async () => {
    const w = await initSocketIOConnection();
    expect(await w.next()).toBe("2"); // the suite waits for a ping here and never answers it
    w.send("40/custom");
    await w.next();
    await w.next();
    w.send("41/custom");
    w.send('42["message","message to main namespace"]');
    expect(await w.next()).toBe('42["message-back","message to main namespace"]');
  });
});

describe("Socket.IO message", () => {
  test("plain-text event; its arguments come back byte for byte (007, quoted strings, bare numbers)", async () => {
    const w = await initSocketIOConnection();
    w.send('42["message",1,"2",{"3":[true]}]');
    expect(await w.next()).toBe('42["message-back",1,"2",{"3":[true]}]');
    w.send('42["message","007","\\"x\\"",3]');
    expect(await w.next()).toBe('42["message-back","007","\\"x\\"",3]');
  });

  const binaryCases: Array<[string, string, string]> = [
    ["binary attachments come back as the same placeholders and binary frames", `452-["message",${PH}]`, `452-["message-back",${PH}]`],
    ["binary attachments with an ack id come back as a BINARY_ACK", `452-789["message-with-ack",${PH}]`, `462-789[${PH}]`],
  ];
  for (const [name, sent, back] of binaryCases) {
    test(name, async () => {
      const w = await initSocketIOConnection();
      w.send(sent);
      w.send(bytes(1, 2, 3));
      w.send(bytes(4, 5, 6));
      expect(await w.packets(3)).toEqual([back, bytes(1, 2, 3), bytes(4, 5, 6)]);
    });
  }

  test("plain-text event with an ack id", async () => {
    const w = await initSocketIOConnection();
    w.send('42456["message-with-ack",1,"2",{"3":[false]}]');
    expect(await w.next()).toBe('43456[1,"2",{"3":[false]}]');
  });

  for (const bad of ["4abc", "42{}", '42abc["message-with-ack",1,"2",{"3":[false]}]']) {
    test(`an invalid packet (${bad}) closes the connection`, async () => {
      const w = await initSocketIOConnection();
      w.send(bad);
      await w.waitClose();
    });
  }
});

describe("server-side acks (the suite's variant with an 'acknowledgements' section)", () => {
  test("emit-with-ack: the server asks with ack id 1, and the client's ack comes back as an event", async () => {
    const w = await initSocketIOConnection();
    w.send('42["emit-with-ack",1,"2",{"3":[true]}]');
    expect(await w.next()).toBe('421["emit-with-ack",1,"2",{"3":[true]}]');
    w.send('431[1,"2",{"3":[true]}]');
    expect(await w.next()).toBe('42["emit-with-ack",1,"2",{"3":[true]}]');
  });

  test("emit-with-ack with binary attachments both ways", async () => {
    const w = await initSocketIOConnection();
    const DATA = `${PH},"test"`;
    w.send(`452-["emit-with-ack",${DATA}]`);
    w.send(bytes(1, 2, 3));
    w.send(bytes(4, 5, 6));
    expect(await w.packets(3)).toEqual([`452-1["emit-with-ack",${DATA}]`, bytes(1, 2, 3), bytes(4, 5, 6)]);
    w.send(`462-1[${DATA}]`);
    w.send(bytes(1, 2, 3));
    w.send(bytes(4, 5, 6));
    expect(await w.packets(3)).toEqual([`452-["emit-with-ack",${DATA}]`, bytes(1, 2, 3), bytes(4, 5, 6)]);
  });
});
