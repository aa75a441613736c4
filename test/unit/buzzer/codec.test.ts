import { describe, expect, test } from "bun:test";
import { encode, MAX_NAME_CHARS, normalizeName, parse } from "../../../src/protocols/buzzer/codec.ts";

describe("buzzer codec: commands", () => {
  test("the original commands and the extensions", () => {
    expect(parse('{"list":"buzzers"}')).toEqual({ kind: "list_buzzers" });
    expect(parse('{"list":"pools"}')).toEqual({ kind: "list_pools" });
    expect(parse('{"command":"connect","pool":"/dev/ttyACM0"}')).toEqual({ kind: "connect", pool: "/dev/ttyACM0" });
    expect(parse('{"command":"disconnect","pool":"p"}')).toEqual({ kind: "disconnect", pool: "p" });
    expect(parse('{"command":"set_color","pool":"p","buzzer":3,"color":[255,0,10]}')).toEqual({
      kind: "set_color", pool: "p", buzzer: 3, color: [255, 0, 10],
    });
    // unknown extra fields are tolerated (extensions are additive)
    expect(parse('{"list":"pools","id":7}')).toEqual({ kind: "list_pools" });
  });

  test("invalid_json: message null, cause = the raw frame", () => {
    for (const raw of ["{bad", "", "list", '{"list":"pools"'])
      expect(parse(raw)).toEqual({ error: "invalid_json", message: null, cause: raw });
  });

  test("unknown_command: message null, cause = the raw frame", () => {
    for (const raw of ['{"command":"explode","pool":"p"}', '{"list":"players"}', "{}", "[]", "42", '"connect"', "null", '{"foo":1}'])
      expect(parse(raw)).toEqual({ error: "unknown_command", message: null, cause: raw });
  });

  test("invalid_data_type: message = what was expected, cause = the field", () => {
    const cases: Array<[string, string]> = [
      ['{"command":"connect","pool":5}', "pool"],
      ['{"command":"connect"}', "pool"],
      ['{"command":"connect","pool":""}', "pool"],
      ['{"command":7}', "command"],
      ['{"list":true}', "list"],
      ['{"command":"set_color","pool":"p","buzzer":256,"color":[1,2,3]}', "buzzer"],
      ['{"command":"set_color","pool":"p","buzzer":1.5,"color":[1,2,3]}', "buzzer"],
      ['{"command":"set_color","pool":"p","buzzer":1,"color":[1,2]}', "color"],
      ['{"command":"set_color","pool":"p","buzzer":1,"color":[1,2,300]}', "color"],
      ['{"command":"set_color","pool":"p","buzzer":1,"color":"red"}', "color"],
    ];
    for (const [raw, field] of cases) {
      const r = parse(raw) as { error: string; message: string; cause: string };
      expect(r.error).toBe("invalid_data_type");
      expect(r.cause).toBe(field);
      expect(r.message).toStartWith("expected ");
    }
  });
});

describe("buzzer codec: replies keep the original shapes", () => {
  test("exact JSON", () => {
    expect(encode.error({ error: "connect", message: "Couldn't open serial port '/dev/ttyACM0'", cause: null })).toBe(
      `{"error":"connect","message":"Couldn't open serial port '/dev/ttyACM0'","cause":null}`,
    );
    expect(encode.buzzers([{ pool: "a", buzzers: [1, 2] }])).toBe('{"response":"buzzers","pools":[{"pool":"a","buzzers":[1,2]}]}');
    expect(encode.pools(["a", "b"])).toBe('{"response":"pools","pools":["a","b"]}');
    expect(encode.connected("a", [3])).toBe('{"result":"connect","pool":"a","buzzers":[3]}');
    expect(encode.event("disconnected", "a", null, 12.5)).toBe('{"event":"disconnected","pool":"a","buzzer":null,"ts":12.5}');
  });
});

describe("buzzer codec: the game and phones (docs/buzzer.md#the-game)", () => {
  test("game commands", () => {
    expect(parse('{"command":"arm"}')).toEqual({ kind: "arm" });
    expect(parse('{"command":"reset","extra":1}')).toEqual({ kind: "reset" });
    expect(parse('{"list":"round"}')).toEqual({ kind: "list_round" });
    expect(parse('{"list":"names"}')).toEqual({ kind: "list_names" });
    expect(parse('{"command":"set_name","pool":"p","buzzer":4,"name":"  The   Quizzards \\n"}')).toEqual({
      kind: "set_name", pool: "p", buzzer: 4, name: "The Quizzards",
    });
    // null or nothing visible forgets the name
    expect(parse('{"command":"set_name","pool":"p","buzzer":4,"name":null}')).toMatchObject({ name: null });
    expect(parse('{"command":"set_name","pool":"p","buzzer":4,"name":" \\t "}')).toMatchObject({ name: null });
  });

  test("phone commands", () => {
    expect(parse('{"command":"phone_join","name":"Ann"}')).toEqual({ kind: "phone_join", name: "Ann", phoneId: null });
    expect(parse('{"command":"phone_join","name":"Ann","phone_id":null}')).toEqual({ kind: "phone_join", name: "Ann", phoneId: null });
    expect(parse('{"command":"phone_join","name":"Ann","phone_id":"AbCdEfGh_-01234567"}')).toEqual({
      kind: "phone_join", name: "Ann", phoneId: "AbCdEfGh_-01234567",
    });
    expect(parse('{"command":"sync_time","client_ts":1234.5}')).toEqual({ kind: "sync_time", clientTs: 1234.5, previous: null });
    expect(parse('{"command":"sync_time","client_ts":2,"previous":null}')).toEqual({ kind: "sync_time", clientTs: 2, previous: null });
    expect(parse('{"command":"sync_time","client_ts":9,"previous":{"client_ts":1,"server_recv_ts":2,"server_send_ts":3,"client_recv_ts":4,"x":0}}')).toEqual({
      kind: "sync_time", clientTs: 9, previous: { client_ts: 1, server_recv_ts: 2, server_send_ts: 3, client_recv_ts: 4 },
    });
    expect(parse('{"command":"press","client_ts":-17.25}')).toEqual({ kind: "press", clientTs: -17.25 });
  });

  test("bad fields: invalid_data_type naming the field", () => {
    const cases: Array<[string, string]> = [
      ['{"command":"set_name","pool":"p","buzzer":4}', "name"],
      ['{"command":"set_name","pool":"p","buzzer":4,"name":7}', "name"],
      ['{"command":"set_name","pool":"p","buzzer":-1,"name":"x"}', "buzzer"],
      ['{"command":"set_name","buzzer":1,"name":"x"}', "pool"],
      ['{"command":"phone_join"}', "name"],
      ['{"command":"phone_join","name":"   "}', "name"],
      ['{"command":"phone_join","name":"\\u202e"}', "name"],
      ['{"command":"phone_join","name":"Ann","phone_id":"short"}', "phone_id"],
      ['{"command":"phone_join","name":"Ann","phone_id":"has spaces in it ok?"}', "phone_id"],
      ['{"command":"phone_join","name":"Ann","phone_id":42}', "phone_id"],
      ['{"command":"sync_time"}', "client_ts"],
      ['{"command":"sync_time","client_ts":"5"}', "client_ts"],
      ['{"command":"sync_time","client_ts":1e999}', "client_ts"], // JSON.parse gives Infinity
      ['{"command":"sync_time","client_ts":5,"previous":{"client_ts":1}}', "previous"],
      ['{"command":"sync_time","client_ts":5,"previous":[1,2,3,4]}', "previous"],
      ['{"command":"press"}', "client_ts"],
      ['{"command":"press","client_ts":null}', "client_ts"],
    ];
    for (const [raw, field] of cases) {
      const r = parse(raw) as { error: string; message: string; cause: string };
      expect([raw, r.error, r.cause]).toEqual([raw, "invalid_data_type", field]);
      expect(r.message).toStartWith("expected ");
    }
    expect(parse('{"list":7}')).toEqual({ error: "invalid_data_type", message: 'expected a string: "buzzers", "pools", "round" or "names"', cause: "list" });
  });

  test("names: trimmed, whitespace runs made one space, controls and direction overrides removed, 32 characters kept", () => {
    expect(normalizeName("  a \t\r\n b  ")).toBe("a b");
    expect(normalizeName("\u202eevil\u202c\u0007")).toBe("evil");
    expect(normalizeName("e\u0301")).toBe("\u00e9"); // NFC
    expect(normalizeName("x".repeat(40))).toBe("x".repeat(MAX_NAME_CHARS));
    // Cut by code points: an emoji is never split into half a surrogate pair.
    expect(normalizeName("🦊".repeat(40))).toBe("🦊".repeat(32));
    expect(normalizeName("x".repeat(31) + " yz")).toBe("x".repeat(31)); // no trailing space after the cut
    expect(normalizeName("👩\u200d🚀 crew")).toBe("👩\u200d🚀 crew"); // zero-width joiners are kept (emoji sequences need them)…
    expect(normalizeName("\u0000\u200b\u200d")).toBeNull(); // …but alone they show nothing
    expect(normalizeName("")).toBeNull();
  });

  test("replies and events, exact JSON", () => {
    expect(encode.armReply(3)).toBe('{"result":"arm","round":3}');
    expect(encode.resetReply(3)).toBe('{"result":"reset","round":3}');
    expect(encode.named("p", 2, null)).toBe('{"result":"set_name","pool":"p","buzzer":2,"name":null}');
    expect(encode.armed(1, 10.5)).toBe('{"event":"armed","round":1,"ts":10.5}');
    expect(encode.reset(1, 11)).toBe('{"event":"reset","round":1,"ts":11}');
    const e = { pool: "p", buzzer: 2, name: "A", ts: 10.5, gap_ms: 0 };
    expect(encode.order(1, [e])).toBe('{"event":"order","round":1,"order":[{"pool":"p","buzzer":2,"name":"A","ts":10.5,"gap_ms":0}]}');
    expect(encode.first(1, { pool: "p", buzzer: 2, name: null, ts: 10.5 })).toBe('{"event":"first","round":1,"pool":"p","buzzer":2,"name":null,"ts":10.5}');
    expect(encode.round({ round: 1, armed: true, order: [e], first: null })).toBe(
      '{"response":"round","round":1,"armed":true,"order":[{"pool":"p","buzzer":2,"name":"A","ts":10.5,"gap_ms":0}],"first":null}',
    );
    expect(encode.phoneJoined(7, "AbCdEfGh_-01234567", "Ann")).toBe('{"result":"phone_join","pool":"phones","buzzer":7,"phone_id":"AbCdEfGh_-01234567","name":"Ann"}');
    expect(encode.syncTime(5, 1000.25, 1000.5)).toBe('{"result":"sync_time","client_ts":5,"server_recv_ts":1000.25,"server_send_ts":1000.5}');
    expect(encode.pressed(2, 7, 1500.125, "joined")).toBe('{"result":"press","round":2,"pool":"phones","buzzer":7,"ts":1500.125,"outcome":"joined"}');
    expect(encode.error({ error: "phone", message: "join first: send phone_join", cause: null })).toBe(
      '{"error":"phone","message":"join first: send phone_join","cause":null}',
    );
  });
});
