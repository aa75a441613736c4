// Access control of the relay against the real server (docs/socketio.md#access-control): token
// guessing is throttled per client address and counted in /metrics; CORS on the polling
// transport never pairs a reflected or '*' origin with credentials.
import { describe, expect, test } from "bun:test";
import { Reason } from "../../../src/protocols/socketio/errors.ts";
import { client, failuresMetric, rawSession, refusedConnect, useAuthTests, withServer } from "./auth-helpers.ts";

useAuthTests();

describe("token guessing is throttled per client address", () => {
  test("one socket flooding CONNECTs with guesses gets six answers, not thousands; each is the normal refusal", () =>
    withServer({ sioToken: "right" }, async (t) => {
      const w = await rawSession(t);
      const sent = Date.now();
      for (let i = 0; i < 500; i++) w.send(`40{"token":"guess-${i}"}`);
      const answers: Array<{ frame: string; at: number }> = [];
      for (let i = 0; i < 6; i++) answers.push({ frame: (await w.next()) as string, at: Date.now() - sent });
      for (const a of answers) expect(JSON.parse(a.frame.slice(2))).toEqual({ message: Reason.badToken, reason: Reason.badToken, data: { reason: Reason.badToken } });
      // Five failures are free; the sixth attempt waits 250 ms; the rest arrived while it waited.
      expect(answers[5]!.at).toBeGreaterThanOrEqual(240);
      expect(await w.drain(400)).toEqual([]);
      expect(await failuresMetric(t)).toBe(6);
    }));

  test("sessions opened in parallel are answered one wait apart; polling and WebSocket count as the same address", () =>
    withServer({ sioToken: "right" }, async (t) => {
      for (let i = 0; i < 5; i++) refusedConnect(await client(t, "polling", `guess-${i}`).catch((e) => e));
      const sessions = await Promise.all(Array.from({ length: 6 }, () => rawSession(t)));
      const sent = Date.now();
      for (const w of sessions) w.send('40{"token":"guess"}');
      const at = await Promise.all(sessions.map(async (w) => ((await w.next(5000)) as string).startsWith("44") && Date.now() - sent));
      // At five failures a wait is 250 ms; answers come one wait after the other, not together.
      const sorted = (at as number[]).sort((a, b) => a - b);
      sorted.forEach((ms, k) => expect(ms).toBeGreaterThanOrEqual(250 * (k + 1) - 10));
      expect(await failuresMetric(t)).toBe(11);
    }), 20_000);

  test("the right token from a throttled address still gets in after the wait; con waits too", () =>
    withServer({ sioMonitorToken: "M-tok" }, async (t) => {
      for (let i = 0; i < 5; i++) {
        const squatter = await client(t, "websocket");
        expect(await squatter.emitWithAck("con", { monitor_id: "target" })).toEqual({ reason: Reason.noMonitorRole });
      }
      let start = Date.now();
      const monitor = await client(t, "polling", "M-tok");
      expect(Date.now() - start).toBeGreaterThanOrEqual(240);
      start = Date.now();
      expect(await monitor.emitWithAck("con", { monitor_id: "target" })).toEqual({ reason: "ok" });
      expect(Date.now() - start).toBeGreaterThanOrEqual(240);
      const user = await client(t, "websocket");
      await user.emitWithAck("query", { monitor_id: "target" });
      const ok = await user.emitWithAck("command send", { command: "unlock door" });
      expect(await monitor.next("command do")).toEqual({ reason: expect.any(String), command: "unlock door", id: ok.id });
      expect(await failuresMetric(t)).toBe(5);
    }), 20_000);

  test("events a socket sends while its con waits are handled after it, in order", () =>
    withServer({ sioMonitorToken: "M-tok" }, async (t) => {
      for (let i = 0; i < 5; i++) {
        const squatter = await client(t, "websocket");
        expect(await squatter.emitWithAck("con", { monitor_id: "x" })).toEqual({ reason: Reason.noMonitorRole });
      }
      const w = await rawSession(t);
      w.send('40{"token":"M-tok"}');
      expect(await w.next()).toMatch(/^40\{"sid":/); // after the wait
      w.send('421["con",{"monitor_id":"ordered"}]');
      w.send('422["command done"]');
      // Events carry their recovery offset as a last argument; acks do not.
      const offset = (frame: unknown) => String(frame).replace(/,"[0-9a-z]+"\]$/, ',<offset>]');
      expect((await w.packets(4)).map(offset)).toEqual(['42["con ok",{"reason":"ok"},<offset>]', '431[{"reason":"ok"}]', '42["error",{"reason":"no unfinished command"},<offset>]', '432[{"reason":"no unfinished command"}]']);
    }));

  test("without any token nothing is refused, counted or delayed", () =>
    withServer({}, async (t) => {
      const m = await client(t, "websocket", "anything");
      expect(await m.emitWithAck("con", { monitor_id: "open" })).toEqual({ reason: "ok" });
      const u = await client(t, "polling");
      expect(await u.emitWithAck("query", { monitor_id: "open" })).toEqual({ reason: "ok", online: true });
      expect(await failuresMetric(t)).toBe(0);
    }));
});

describe("CORS on the relay's polling transport", () => {
  test("the default answers '*' to any origin and never allows credentials (no reflected origin)", () =>
    withServer({}, async (t) => {
      const r = await fetch(`${t.http}/socket.io/?EIO=4&transport=polling`, { headers: { origin: "https://evil.example", cookie: "session=1" } });
      expect(r.status).toBe(200);
      expect(r.headers.get("access-control-allow-origin")).toBe("*");
      expect(r.headers.get("access-control-allow-credentials")).toBeNull();
    }));

  test("with --cors-origin, only the listed origin gets its name and credentials back", () =>
    withServer({ corsOrigin: ["https://console.example"] }, async (t) => {
      const url = `${t.http}/socket.io/?EIO=4&transport=polling`;
      const listed = await fetch(url, { headers: { origin: "https://console.example" } });
      expect(listed.headers.get("access-control-allow-origin")).toBe("https://console.example");
      expect(listed.headers.get("access-control-allow-credentials")).toBe("true");
      const evil = await fetch(url, { headers: { origin: "https://evil.example" } });
      expect(evil.headers.get("access-control-allow-origin")).toBeNull();
      expect(evil.headers.get("access-control-allow-credentials")).toBeNull();
    }));
});
