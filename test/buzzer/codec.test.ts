import { describe, expect, test } from "bun:test";
import { encode, parse } from "../../src/protocols/buzzer/codec.ts";

describe("buzzer codec: commands", () => {
  test("the seed's commands and the extensions", () => {
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

describe("buzzer codec: replies keep the seed's shapes", () => {
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
