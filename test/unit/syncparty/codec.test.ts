import { describe, expect, test } from "bun:test";
import { decode, encode, encodeError } from "../../../src/protocols/syncparty/codec.ts";
import { ErrorCodes } from "../../../src/protocols/syncparty/errors.ts";

const code = (text: string) => {
  const d = decode(text);
  return d.ok ? "ok" : d.fail.code;
};

describe("syncparty codec", () => {
  test("frames that are not a JSON object are bad_json", () => {
    for (const f of ["007", '"x"', "3", "null", "[]", "[1,2]", "{", "", "true", "{\"type\":"]) expect(code(f)).toBe("bad_json");
  });

  test("ill-typed envelope fields and payloads are bad_request", () => {
    expect(code("{}")).toBe("bad_request");
    expect(code('{"type":5}')).toBe("bad_request");
    expect(code('{"type":"ping","room":7,"payload":{"client_ts":1}}')).toBe("bad_request");
    expect(code('{"type":"ping","payload":[1]}')).toBe("bad_request");
    expect(code('{"type":"ping","ts":"now","payload":{"client_ts":1}}')).toBe("bad_request");
    expect(code('{"type":"ping","payload":{}}')).toBe("bad_request");
    expect(code('{"type":"player_event","payload":{"action":"rewind","position":1}}')).toBe("bad_request");
    expect(code('{"type":"player_event","payload":{"action":"play","position":-1}}')).toBe("bad_request");
    expect(code('{"type":"player_event","payload":{"action":"play","position":1e400}}')).toBe("bad_request");
    expect(code('{"type":"state_update","payload":{"position":1,"play_state":"buffering"}}')).toBe("bad_request");
    expect(code('{"type":"create_room","payload":{"options":{"free_play":"yes"}}}')).toBe("bad_request");
    expect(code(`{"type":"join_room","room":"${"r".repeat(129)}","payload":{}}`)).toBe("bad_request");
  });

  test("an unknown type is unknown_type and keeps the envelope ids for the reply", () => {
    const d = decode('{"type":"dance","room":"r1","client":"c1","payload":{}}');
    expect(d).toEqual({ ok: false, fail: { code: "unknown_type", message: 'unknown message type "dance"' }, room: "r1", client: "c1" });
  });

  test("valid messages decode; null and empty ids mean absent, a missing payload is {}", () => {
    const d = decode('{"type":"create_room","room":"","client":null,"ts":5}');
    expect(d).toEqual({ ok: true, msg: { type: "create_room", room: null, client: null, ts: 5, payload: {} } });
    const p = decode('{"type":"player_event","room":"r","client":"c","payload":{"action":"seek","position":12.5,"extra":1}}');
    expect(p.ok && p.msg.payload).toEqual({ action: "seek", position: 12.5, extra: 1 });
  });

  test("server envelopes always carry the six keys", () => {
    expect(JSON.parse(encode("pong", null, "c", { client_ts: 1 }, 10, 20))).toEqual({ type: "pong", room: null, client: "c", payload: { client_ts: 1 }, ts: 10, server_ts: 20 });
    const e = JSON.parse(encodeError({ code: "not_host", message: "m" }, "r", "c", 30));
    expect(e).toEqual({ type: "error", room: "r", client: "c", payload: { code: "not_host", message: "m" }, ts: 30, server_ts: 30 });
  });

  test("the error catalog is the contract's list", () => {
    expect<string[]>([...ErrorCodes].sort()).toEqual(
      ["bad_json", "bad_request", "unknown_type", "auth_required", "token_invalid", "token_expired", "forbidden", "room_exists", "room_missing", "invite_required", "invite_invalid", "invite_room_mismatch", "not_host", "room_full", "rate_limited"].sort(),
    );
  });
});
