// The Engine.IO half of the published Socket.IO v5 / Engine.IO v4 protocol test suite's cases
// (socketio/socket.io-protocol, test-suite, EIO=4; docs/socketio.md#handshake-and-heartbeat),
// written anew against the reference server (scripts/sio-reference-server.ts: pingInterval 300,
// pingTimeout 200, maxPayload 1000000), with the suite's own timings and its frame-by-frame reads
// (pings are not skipped unless it skips them): handshake, heartbeat, close, upgrade, long-polling
// payloads. The Socket.IO half: protocol-suite-sio.test.ts.
import { describe, expect, test } from "bun:test";
import { AUTH_DELAY_MS } from "../../../scripts/sio-reference-server.ts";
import { Wire } from "../../helpers/clients/socketio.ts";
import { KEYS, PING_INTERVAL, PING_TIMEOUT, referenceServer } from "./reference-server.ts";

const ref = referenceServer();
const { url, pollUrl, ws, initLongPollingSession } = ref;

describe("Engine.IO handshake", () => {
  test("polling: 200, open packet with exactly sid, upgrades [websocket], pingInterval, pingTimeout, maxPayload", async () => {
    const r = await fetch(pollUrl());
    expect(r.status).toBe(200);
    const content = await r.text();
    expect(content[0]).toBe("0");
    const value = JSON.parse(content.substring(1));
    expect(Object.keys(value).sort()).toEqual(KEYS);
    expect(typeof value.sid).toBe("string");
    expect(value).toMatchObject({ upgrades: ["websocket"], pingInterval: PING_INTERVAL, pingTimeout: PING_TIMEOUT, maxPayload: 1000000 });
  });

  test("polling: invalid EIO, invalid transport and a non-GET handshake get 400 with the reference's JSON error", async () => {
    const cases: Array<[string, string, object]> = [
      ["transport=polling", "GET", { code: 5, message: "Unsupported protocol version" }],
      ["EIO=abc&transport=polling", "GET", { code: 5, message: "Unsupported protocol version" }],
      ["EIO=3&transport=polling", "GET", { code: 5, message: "Unsupported protocol version" }],
      ["EIO=4", "GET", { code: 0, message: "Transport unknown" }],
      ["EIO=4&transport=abc", "GET", { code: 0, message: "Transport unknown" }],
      ["EIO=4&transport=polling", "POST", { code: 2, message: "Bad handshake method" }],
      ["EIO=4&transport=polling", "PUT", { code: 2, message: "Bad handshake method" }],
      ["EIO=4&transport=polling&sid=nope", "GET", { code: 1, message: "Session ID unknown" }],
      ["EIO=4&transport=websocket", "GET", { code: 3, message: "Bad request" }],
    ];
    for (const [q, method, body] of cases) {
      const r = await fetch(url(q), { method });
      expect([q, method, r.status]).toEqual([q, method, 400]);
      expect(r.headers.get("content-type")).toStartWith("application/json");
      expect(await r.json()).toEqual(body);
    }
  });

  test("websocket: open packet with upgrades []; invalid EIO or transport refuses the upgrade", async () => {
    const w = await ws();
    const data = (await w.next()) as string;
    expect(data[0]).toBe("0");
    const value = JSON.parse(data.substring(1));
    expect(Object.keys(value).sort()).toEqual(KEYS);
    expect(value).toMatchObject({ upgrades: [], pingInterval: PING_INTERVAL, pingTimeout: PING_TIMEOUT, maxPayload: 1000000 });
    for (const q of ["transport=websocket", "EIO=abc&transport=websocket", "EIO=4", "EIO=4&transport=abc"]) {
      expect(Wire.open(ref.s.ws(`/socket.io/?${q}`))).rejects.toThrow();
    }
  });
});

describe("Engine.IO heartbeat", () => {
  test("polling: three rounds of a server ping '2' answered by a POSTed '3'", async () => {
    const sid = await initLongPollingSession();
    for (let i = 0; i < 3; i++) {
      const poll = await fetch(pollUrl(sid));
      expect(poll.status).toBe(200);
      expect(await poll.text()).toBe("2");
      const push = await fetch(pollUrl(sid), { method: "POST", body: "3" });
      expect(push.status).toBe(200);
      expect(await push.text()).toBe("ok");
    }
  });

  test("polling: a poll exactly pingInterval + pingTimeout after the handshake finds the session gone (never the ping)", async () => {
    // The suite sleeps exactly 500 ms; several sessions at once so late timers would show.
    const results = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const sid = await initLongPollingSession();
        await Bun.sleep(PING_INTERVAL + PING_TIMEOUT); // the suite's own timing is what is tested
        const r = await fetch(pollUrl(sid));
        return `${r.status} ${await r.text()}`;
      }),
    );
    for (const r of results) expect(r).toBe('400 {"code":1,"message":"Session ID unknown"}');
  });

  test("websocket: three rounds of '2' answered by '3'; a silent client is closed, and so is that one once it stops answering", async () => {
    const w = await ws();
    await w.next();
    for (let i = 0; i < 3; i++) {
      expect(await w.next(1000)).toBe("2");
      w.send("3");
    }
    expect(w.closed).toBeNull();
    const silent = await ws();
    await silent.waitClose(PING_INTERVAL + PING_TIMEOUT + 1500);
    await w.waitClose(PING_INTERVAL + PING_TIMEOUT + 1500);
  });
});

describe("Engine.IO close", () => {
  test("polling: a POSTed close '1' answers the pending GET with a noop '6'; the sid is then unknown", async () => {
    const sid = await initLongPollingSession();
    const held = ref.s.pendingRequests();
    const pending = fetch(pollUrl(sid));
    await ref.s.heldRequests(held + 1); // the suite starts the GET first
    const [poll, push] = await Promise.all([pending, fetch(pollUrl(sid), { method: "POST", body: "1" })]);
    expect(push.status).toBe(200);
    expect(poll.status).toBe(200);
    expect(await poll.text()).toBe("6");
    expect((await fetch(pollUrl(sid))).status).toBe(400);
  });

  test("websocket: a close packet '1' closes the socket", async () => {
    const w = await ws();
    await w.next();
    w.send("1");
    await w.waitClose();
  });
});

describe("Engine.IO upgrade", () => {
  test("2probe → 3probe, then 5 completes the upgrade", async () => {
    const sid = await initLongPollingSession();
    const w = await ws(`EIO=4&transport=websocket&sid=${sid}`);
    w.send("2probe");
    expect(await w.next()).toBe("3probe");
    w.send("5");
    w.send("40");
    expect(await w.next()).toMatch(/^40\{"sid":"[^"]+"\}$/);
  });

  test("after the upgrade an HTTP request with that sid gets 400", async () => {
    const sid = await initLongPollingSession();
    const w = await ws(`EIO=4&transport=websocket&sid=${sid}`);
    w.send("2probe");
    w.send("5");
    await w.next(); // 3probe: both frames have been read by the server
    const r = await fetch(pollUrl(sid));
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ code: 3, message: "Bad request" });
  });

  test("after the upgrade a second WebSocket with that sid opens and is closed (not refused)", async () => {
    const sid = await initLongPollingSession();
    const w = await ws(`EIO=4&transport=websocket&sid=${sid}`);
    w.send("2probe");
    w.send("5");
    await w.next();
    const second = await ws(`EIO=4&transport=websocket&sid=${sid}`); // rejects if the handshake is refused
    await second.waitClose();
    expect(second.c.inbox).toEqual([]); // not even an open packet
    // the upgraded session is unharmed
    w.send("40");
    expect(await w.packets(1)).toEqual([expect.stringMatching(/^40\{"sid"/)]);
  });

  test("the probe releases a pending GET with a noop, and packets queued during the upgrade move to the WebSocket", async () => {
    const sid = await initLongPollingSession();
    const held = ref.s.pendingRequests();
    const pending = fetch(pollUrl(sid));
    await ref.s.heldRequests(held + 1);
    const w = await ws(`EIO=4&transport=websocket&sid=${sid}`);
    w.send("2probe");
    expect(await w.next()).toBe("3probe");
    expect(await (await pending).text()).toBe("6");
    await fetch(pollUrl(sid), { method: "POST", body: "40" }); // answered while the upgrade is pending: queued for the WebSocket
    w.send("5");
    expect(await w.packets(2)).toEqual([expect.stringMatching(/^40\{"sid"/), '42["auth",{}]']);
  });

  test("a second WebSocket while the first one is still probing is closed too", async () => {
    const sid = await initLongPollingSession();
    await ws(`EIO=4&transport=websocket&sid=${sid}`);
    const second = await ws(`EIO=4&transport=websocket&sid=${sid}`);
    await second.waitClose();
  });
});

describe("long-polling payloads", () => {
  test("a held GET answers with what is queued; a packet queued later comes with the next GET; binary as base64", async () => {
    const sid = await initLongPollingSession();
    const post = (body: string) => fetch(pollUrl(sid), { method: "POST", body });
    await post("40");
    expect(await (await fetch(pollUrl(sid))).text()).toMatch(/^40\{"sid":"[^"]+"\}$/);
    expect(await (await fetch(pollUrl(sid))).text()).toBe('42["auth",{}]'); // sent AUTH_DELAY_MS after the CONNECT
    await post('451-["message",{"_placeholder":true,"num":0}]\x1ebAQID');
    expect(await (await fetch(pollUrl(sid))).text()).toBe('451-["message-back",{"_placeholder":true,"num":0}]\x1ebAQID');
  });

  test("packets of one reply are joined by \\x1e; binary travels as 'b' + base64 both ways", async () => {
    const sid = await initLongPollingSession();
    const post = (body: string) => fetch(pollUrl(sid), { method: "POST", body });
    expect(await (await post("40")).text()).toBe("ok");
    // The reference server sends "auth" AUTH_DELAY_MS after the CONNECT, and nothing on the wire
    // says when it is queued: waiting out that timer is what puts both packets into one reply.
    await Bun.sleep(AUTH_DELAY_MS + 30);
    const connected = await (await fetch(pollUrl(sid))).text();
    expect(connected.split("\x1e")).toEqual([expect.stringMatching(/^40\{"sid":"[^"]+"\}$/), '42["auth",{}]']);
    expect(await (await post('42["message","a"]\x1e451-["message",{"_placeholder":true,"num":0}]\x1ebAQID')).text()).toBe("ok");
    const body = await (await fetch(pollUrl(sid))).text();
    expect(body.split("\x1e")).toEqual(['42["message-back","a"]', '451-["message-back",{"_placeholder":true,"num":0}]', "bAQID"]);
  });
});
