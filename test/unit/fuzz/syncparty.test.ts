// Fuzzing the watch-party envelope codec and dispatch (docs/syncparty.md#messages, #errors):
// decode() never throws and gives a message of the grammar or an error with a documented code;
// valid envelopes of every type decode to exactly what was sent; and through the room rules,
// whatever three sockets send, every frame any socket receives is an envelope with all six keys,
// every error code is documented, and no socket is closed except a replaced seat (4001).
import { describe, expect, test } from "bun:test";
import { decode, encode, encodeError } from "../../../src/protocols/syncparty/codec.ts";
import { ErrorCodes, fail, type Fail } from "../../../src/protocols/syncparty/errors.ts";
import type { Login, TokenAuth } from "../../../src/protocols/syncparty/auth.ts";
import { PartyDispatch, type Viewer } from "../../../src/protocols/syncparty/dispatch.ts";
import { PartyRooms } from "../../../src/protocols/syncparty/state.ts";
import { FakeClock, FakeConn, FakeHub } from "../../helpers/fakes.ts";
import { check, checkAsync, fc, frames, toJson } from "./fuzz.ts";

const CODES = new Set<string>(ErrorCodes);
const TYPES = ["create_room", "join_room", "player_event", "state_update", "ping", "create_invite", "leave_room"];

// ---- the grammar (docs/syncparty.md#messages) ----
const roomId = fc.constantFrom("r", "other");
const clientId = fc.constantFrom("a", "b", "c");
const position = fc.double({ min: 0, max: 1e6, noNaN: true });
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const name = fc.string({ maxLength: 100 });
const PAYLOADS: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  create_room: fc.record(
    { media_url: opt(fc.webUrl()), start_pos: opt(position), name: opt(name), options: opt(fc.record({ free_play: opt(fc.boolean()), private: opt(fc.boolean()) })) },
    { requiredKeys: [] },
  ),
  join_room: fc.record({ name: opt(name), resume_token: opt(fc.string({ maxLength: 40 })), invite_token: opt(fc.constantFrom("good", "bad")) }, { requiredKeys: [] }),
  player_event: fc.record({ action: fc.constantFrom("play", "pause", "seek"), position }),
  state_update: fc.record({ position, play_state: fc.constantFrom("playing", "paused") }),
  ping: fc.record({ client_ts: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
  create_invite: fc.record({ expires_in: opt(fc.integer({ min: 1, max: 30 * 86400 })) }, { requiredKeys: [] }),
  leave_room: fc.constant({}),
};
/** JSON drops undefined members: the payload as the server reads it. */
const wire = (o: object) => JSON.parse(JSON.stringify(o));
const envelope = fc.constantFrom(...TYPES).chain((type) =>
  fc.record({ type: fc.constant(type), room: roomId, client: clientId, payload: PAYLOADS[type]!, ts: fc.oneof(fc.nat(), fc.double({ noNaN: true, noDefaultInfinity: true })) }),
);

const isId = (v: unknown) => v === null || (typeof v === "string" && v.length > 0 && v.length <= 128);

describe("watch-party codec fuzz", () => {
  test("any text and near-valid envelopes: a message of the grammar or a documented error", () => {
    check("syncparty decode", frames(envelope), (text) => {
      const d = decode(text);
      if (d.ok) {
        expect(TYPES).toContain(d.msg.type);
        expect(isId(d.msg.room) && isId(d.msg.client)).toBe(true);
        expect(d.msg.ts === null || Number.isFinite(d.msg.ts)).toBe(true);
        const p = d.msg.payload as Record<string, unknown>;
        if ("position" in p) expect(Number.isFinite(p.position) && (p.position as number) >= 0).toBe(true);
      } else {
        expect(CODES.has(d.fail.code)).toBe(true);
        expect(typeof d.fail.message).toBe("string");
        expect(isId(d.room) && isId(d.client)).toBe(true);
        const e = JSON.parse(encodeError(d.fail, d.room, d.client, 5));
        expect(e).toEqual({ type: "error", room: d.room, client: d.client, payload: { code: d.fail.code, message: d.fail.message }, ts: 5, server_ts: 5 });
      }
    }, { runs: 1500, ms: 800 });
  });

  test("every valid envelope decodes to exactly what was sent", () => {
    check("syncparty round trip", envelope, (env) => {
      const sent = wire(env); // as the server reads it: undefined members dropped, -0 written as 0
      expect(decode(JSON.stringify(env))).toEqual({ ok: true, msg: { type: sent.type, room: sent.room, client: sent.client, ts: sent.ts, payload: sent.payload } } as never);
    }, { runs: 1000 });
  });

  test("encode writes the six keys of every server message, whatever the payload", () => {
    const arb = fc.tuple(fc.string(), fc.option(fc.string()), fc.option(fc.string()), fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.nat());
    check("syncparty encode", arb, ([type, room, client, payload, ts, serverTs]) => {
      const text = encode(type, room, client, payload, ts, serverTs);
      expect(Object.keys(JSON.parse(text))).toEqual(["type", "room", "client", "payload", "ts", "server_ts"]);
      expect(JSON.parse(text)).toEqual(wire({ type, room, client, payload, ts, server_ts: serverTs }));
    });
  });
});

// ---- through the room rules ----

/** Token handling without a secret: invites "good" pass; answers come a microtask later, as jose's would. */
class FakeAuth implements TokenAuth {
  readonly required = false;
  verifyAuth(): Promise<Fail | Login> {
    return Promise.resolve(fail("token_invalid", "no tokens here"));
  }
  verifyInvite(token: string): Promise<Fail | null> {
    return Promise.resolve(token === "good" ? null : fail("invite_invalid", "bad invite"));
  }
  signInvite(): Promise<{ token: string; expiresAt: number }> {
    return Promise.resolve({ token: "good", expiresAt: 0 });
  }
}
const settle = () => new Promise<void>((r) => setImmediate(r));

describe("watch-party dispatch fuzz", () => {
  test("whatever three sockets send, every frame out is a full envelope and every error documented", async () => {
    const steps = fc.array(fc.tuple(fc.nat({ max: 2 }), fc.oneof({ weight: 3, arbitrary: frames(envelope) }, { weight: 2, arbitrary: envelope.map(toJson) }), fc.nat({ max: 40_000 })), { minLength: 1, maxLength: 10 });
    await checkAsync("syncparty dispatch", steps, async (list) => {
      const clock = new FakeClock();
      const hub = new FakeHub();
      let t = 0;
      const rooms = new PartyRooms({ clock, topics: hub, graceMs: 30_000, maxRooms: 1000, roomsPerConn: 1000, maxParticipants: 3, newRoomId: () => `gen${++t}`, newResumeToken: () => `tok${++t}` });
      const sessions = new PartyDispatch({ rooms, auth: new FakeAuth(), clock, maxOptionsBytes: 4096 });
      const conns = [0, 1, 2].map(() => {
        const c = new FakeConn<Viewer>(hub);
        c.state = sessions.open(c);
        return c;
      });
      sessions.message(conns[0]!.state, '{"type":"create_room","room":"r","client":"a","payload":{}}');
      sessions.message(conns[1]!.state, '{"type":"join_room","room":"r","client":"b","payload":{}}');
      for (const [who, text, wait] of list) {
        sessions.message(conns[who]!.state, text);
        await settle();
        clock.advance(wait);
      }
      for (const c of conns) sessions.close(c.state);
      clock.advance(60_000);
      for (const c of conns) {
        expect(c.faults).toEqual([]);
        expect(c.closedWith === null || c.closedWith.code === 4001).toBe(true);
        for (const f of c.take()) {
          const m = JSON.parse(f);
          expect(Object.keys(m).sort()).toEqual(["client", "payload", "room", "server_ts", "ts", "type"]);
          expect(Number.isFinite(m.server_ts)).toBe(true);
          if (m.type === "error") expect(CODES.has(m.payload.code)).toBe(true);
        }
      }
      expect(rooms.count).toBe(0); // everyone left and the grace period passed
    }, { runs: 250, ms: 800 });
  });
});

