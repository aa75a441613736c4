// The cases of the published Socket.IO v5 protocol test suite (socketio/socket.io-protocol),
// written anew against scripts/sio-reference-server.ts (pingInterval 300, pingTimeout 200).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { referenceConfig, referenceProtocol } from "../../../scripts/sio-reference-server.ts";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";
import { frame, frames, Polling } from "./raw.ts";

let s: TestServer;
let poll: Polling;
const sockets: TestClient[] = [];
const KEYS = ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"];

beforeAll(async () => {
  s = await bootServer(referenceConfig, { protocols: [referenceProtocol] });
  poll = new Polling(s.http);
});
afterAll(async () => {
  for (const c of sockets) c.close();
  await s.stop();
});

async function ws(query = "EIO=4&transport=websocket"): Promise<TestClient> {
  const c = await TestClient.open(s.ws(`/socket.io/?${query}`));
  sockets.push(c);
  return c;
}
/** A WebSocket session connected to "/" (open packet, CONNECT reply and the "auth" event consumed). */
async function connected(): Promise<TestClient> {
  const c = await ws();
  await frame(c);
  c.send("40");
  await frames(c, 2);
  return c;
}
const refused = async (query: string) => expect(TestClient.open(s.ws(`/socket.io/?${query}`))).rejects.toThrow();

describe("Engine.IO: handshake", () => {
  test("polling: open packet with sid, upgrades, pingInterval, pingTimeout, maxPayload", async () => {
    const { handshake, response } = await poll.open();
    expect(response.status).toBe(200);
    expect(Object.keys(handshake).sort()).toEqual(KEYS);
    expect(handshake).toMatchObject({ upgrades: ["websocket"], pingInterval: 300, pingTimeout: 200, maxPayload: 1_000_000 });
    expect(typeof handshake.sid).toBe("string");
  });

  test("polling: a bad EIO, a bad transport or a method other than GET gets 400", async () => {
    for (const q of ["transport=polling", "EIO=abc&transport=polling", "EIO=4", "EIO=4&transport=abc"]) {
      expect((await fetch(`${s.http}/socket.io/?${q}`)).status).toBe(400);
    }
    for (const method of ["POST", "PUT"]) expect((await fetch(poll.url(), { method })).status).toBe(400);
  });

  test("websocket: open packet without upgrades; bad EIO or transport is refused", async () => {
    const c = await ws();
    const open = (await frame(c)) as string;
    expect(open[0]).toBe("0");
    const h = JSON.parse(open.slice(1));
    expect(Object.keys(h).sort()).toEqual(KEYS);
    expect(h).toMatchObject({ upgrades: [], pingInterval: 300, pingTimeout: 200, maxPayload: 1_000_000 });
    for (const q of ["transport=websocket", "EIO=abc&transport=websocket", "EIO=4", "EIO=4&transport=abc"]) await refused(q);
  });
});

describe("Engine.IO: heartbeat", () => {
  test("polling: the server pings, the client's pong keeps the session", async () => {
    const { sid } = await poll.open();
    for (let i = 0; i < 3; i++) {
      expect(await (await poll.get(sid)).text()).toBe("2");
      const r = await poll.post(sid, "3");
      expect(r.status).toBe(200);
      expect(await r.text()).toBe("ok");
    }
  });

  test("polling: no pong within pingInterval + pingTimeout closes the session", async () => {
    const { sid } = await poll.open();
    await Bun.sleep(300 + 200 + 50);
    expect((await poll.get(sid)).status).toBe(400);
  });

  test("websocket: ping/pong three times, then silence closes it", async () => {
    const c = await ws();
    await c.next();
    for (let i = 0; i < 3; i++) {
      expect(await c.next(1000)).toBe("2");
      c.send("3");
    }
    expect(c.closed).toBeNull();
    await c.waitClose(2000);
  });
});

describe("Engine.IO: close", () => {
  test("polling: a close packet releases the pending GET with a noop; the sid is then unknown", async () => {
    const { sid } = await poll.open();
    const [pending, posted] = await Promise.all([poll.get(sid), Bun.sleep(30).then(() => poll.post(sid, "1"))]);
    expect(posted.status).toBe(200);
    expect(pending.status).toBe(200);
    expect(await pending.text()).toBe("6");
    expect((await poll.get(sid)).status).toBe(400);
  });

  test("websocket: a close packet closes the socket", async () => {
    const c = await ws();
    await c.next();
    c.send("1");
    await c.waitClose();
  });
});

describe("Engine.IO: upgrade", () => {
  test("probe, 3probe, upgrade; afterwards polling is refused and a second WebSocket with that sid is closed", async () => {
    const { sid } = await poll.open();
    const c = await ws(`EIO=4&transport=websocket&sid=${sid}`);
    c.send("2probe");
    expect(await c.next()).toBe("3probe");
    c.send("5");
    await Bun.sleep(30);
    expect((await poll.get(sid)).status).toBe(400);
    const second = await ws(`EIO=4&transport=websocket&sid=${sid}`); // accepted, then closed, like the reference
    await second.waitClose();
    expect(second.inbox).toEqual([]);
    c.send("40");
    expect(await c.until((m) => m.startsWith("40"))).toMatch(/^40\{"sid":"[^"]+"\}$/);
  });

  test("the probe releases a pending GET with a noop, and queued packets move to the WebSocket", async () => {
    const { sid } = await poll.open();
    const pending = poll.get(sid);
    await Bun.sleep(30);
    const c = await ws(`EIO=4&transport=websocket&sid=${sid}`);
    c.send("2probe");
    expect(await c.next()).toBe("3probe");
    expect(await (await pending).text()).toBe("6");
    await poll.post(sid, "40"); // answered while the upgrade is pending: queued for the WebSocket
    c.send("5");
    expect(await frames(c, 2)).toEqual([expect.stringMatching(/^40\{"sid"/), '42["auth",{}]']);
  });
});

describe("Socket.IO: connect", () => {
  for (const [nsp, prefix] of [["/", ""], ["/custom", "/custom,"]] as const) {
    test(`namespace ${nsp}, with and without an auth payload`, async () => {
      for (const auth of ["", '{"token":"123"}']) {
        const c = await ws();
        await frame(c);
        c.send(`40${prefix}${auth}`);
        const reply = (await frame(c)) as string;
        expect(reply.startsWith(`40${prefix}`)).toBe(true);
        expect(Object.keys(JSON.parse(reply.slice(2 + prefix.length)))).toEqual(["sid"]);
        expect(await frame(c)).toBe(`42${prefix}["auth",${auth || "{}"}]`);
      }
    });
  }

  test("an unknown namespace gets CONNECT_ERROR Invalid namespace", async () => {
    const c = await ws();
    await frame(c);
    c.send("40/random");
    expect(await frame(c)).toBe('44/random,{"message":"Invalid namespace"}');
  });

  test("an invalid handshake packet closes the connection", async () => {
    const c = await ws();
    await frame(c);
    c.send("4abc");
    await c.waitClose();
  });
});

describe("Socket.IO: disconnect", () => {
  test("leaving the main namespace keeps the Engine.IO session: the next frame is a ping", async () => {
    const c = await connected();
    c.send("41");
    const next = await c.next();
    expect(next).toBe("2");
    expect(c.closed).toBeNull();
  });

  test("leaving a custom namespace keeps the main one working", async () => {
    const c = await connected();
    c.send("40/custom");
    await frames(c, 2);
    c.send("41/custom");
    c.send('42["message","message to main namespace"]');
    expect(await frame(c)).toBe('42["message-back","message to main namespace"]');
  });
});

describe("Socket.IO: messages", () => {
  test("plain-text event, echoed byte for byte (007, quoted strings, bare numbers)", async () => {
    const c = await connected();
    c.send('42["message",1,"2",{"3":[true]}]');
    expect(await frame(c)).toBe('42["message-back",1,"2",{"3":[true]}]');
    c.send('42["message","007","\\"x\\"",3]');
    expect(await frame(c)).toBe('42["message-back","007","\\"x\\"",3]');
  });

  test("binary attachments come back as binary frames", async () => {
    const c = await connected();
    c.send('452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    c.send(Uint8Array.from([1, 2, 3]));
    c.send(Uint8Array.from([4, 5, 6]));
    expect(await frames(c, 3)).toEqual([
      '452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
      Uint8Array.from([1, 2, 3]),
      Uint8Array.from([4, 5, 6]),
    ]);
  });

  test("an event with an ack id is acknowledged with the same arguments, binary too", async () => {
    const c = await connected();
    c.send('42456["message-with-ack",1,"2",{"3":[false]}]');
    expect(await frame(c)).toBe('43456[1,"2",{"3":[false]}]');
    c.send('452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    c.send(Uint8Array.from([1, 2, 3]));
    c.send(Uint8Array.from([4, 5, 6]));
    expect(await frames(c, 3)).toEqual(['462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]', Uint8Array.from([1, 2, 3]), Uint8Array.from([4, 5, 6])]);
  });

  for (const bad of ["4abc", "42{}", '42abc["message-with-ack",1,"2",{"3":[false]}]']) {
    test(`an invalid packet (${bad}) closes the connection`, async () => {
      const c = await connected();
      c.send(bad);
      await c.waitClose();
    });
  }

  test("binary over long-polling travels base64-encoded", async () => {
    const { sid } = await poll.open();
    await poll.post(sid, "40");
    expect(await (await poll.get(sid)).text()).toMatch(/^40\{"sid":"[^"]+"\}$/);
    expect(await (await poll.get(sid)).text()).toBe('42["auth",{}]'); // sent a moment after the CONNECT
    await poll.post(sid, '451-["message",{"_placeholder":true,"num":0}]\x1ebAQID');
    expect(await (await poll.get(sid)).text()).toBe('451-["message-back",{"_placeholder":true,"num":0}]\x1ebAQID');
  });
});
