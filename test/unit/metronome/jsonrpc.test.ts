// The generic JSON-RPC 2.0 codec against the specification's own examples and its rules
// (docs/metronome.md#json-rpc-errors, #batches).
import { describe, expect, test } from "bun:test";
import { classify, dispatch, encodeRequest, MAX_BATCH, type Method, type RpcParams, type SyncMethod } from "../../../src/protocols/metronome/codec.ts";
import { RpcCode } from "../../../src/protocols/metronome/errors.ts";

// The methods the specification's examples call.
const calls: string[] = [];
const num = (p: RpcParams | null | undefined, i: number, k: string) => (Array.isArray(p) ? p[i] : p?.[k]) as number;
const specMethods = new Map<string, SyncMethod<null>>([
  ["subtract", (p) => ({ result: num(p, 0, "minuend") - num(p, 1, "subtrahend") })],
  ["sum", (p) => ({ result: (p as number[]).reduce((a, b) => a + b, 0) })],
  ["get_data", () => ({ result: ["hello", 5] })],
  ["update", () => (calls.push("update"), { result: null })],
  ["notify_hello", () => (calls.push("notify_hello"), { result: null })],
  ["notify_sum", () => (calls.push("notify_sum"), { result: null })],
]);

const rpc = (text: string) => dispatch(text, specMethods, null);
const reply = (text: string) => {
  const r = rpc(text).reply;
  return r === null ? null : JSON.parse(r);
};

describe("JSON-RPC 2.0 specification examples", () => {
  test("rpc call with positional parameters", () => {
    expect(rpc('{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}').reply).toBe('{"jsonrpc":"2.0","result":19,"id":1}');
    expect(rpc('{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}').reply).toBe('{"jsonrpc":"2.0","result":-19,"id":2}');
  });

  test("rpc call with named parameters", () => {
    expect(reply('{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}')).toEqual({ jsonrpc: "2.0", result: 19, id: 3 });
    expect(reply('{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}')).toEqual({ jsonrpc: "2.0", result: 19, id: 4 });
  });

  test("a notification runs but gets no reply, even for a missing method", () => {
    calls.length = 0;
    expect(rpc('{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}').reply).toBeNull();
    expect(rpc('{"jsonrpc": "2.0", "method": "foobar"}').reply).toBeNull();
    expect(calls).toEqual(["update"]);
  });

  test("rpc call of non-existent method", () => {
    expect(rpc('{"jsonrpc": "2.0", "method": "foobar", "id": "1"}').reply).toBe('{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":"1"}');
  });

  test("rpc call with invalid JSON", () => {
    expect(rpc('{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]').reply).toBe('{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}');
  });

  test("rpc call with invalid Request object", () => {
    expect(reply('{"jsonrpc": "2.0", "method": 1, "params": "bar"}')).toEqual({ jsonrpc: "2.0", error: { code: -32600, message: "Invalid Request" }, id: null });
  });

  test("rpc call Batch, invalid JSON", () => {
    const text = '[\n  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},\n  {"jsonrpc": "2.0", "method"\n]';
    expect(reply(text)).toEqual({ jsonrpc: "2.0", error: { code: -32700, message: "Parse error" }, id: null });
  });

  test("rpc call with an empty Array: one error, not an array", () => {
    expect(reply("[]")).toEqual({ jsonrpc: "2.0", error: { code: -32600, message: "Invalid Request" }, id: null });
  });

  test("rpc call with an invalid Batch (but not empty)", () => {
    expect(reply("[1]")).toEqual([{ jsonrpc: "2.0", error: { code: -32600, message: "Invalid Request" }, id: null }]);
  });

  test("rpc call with invalid Batch", () => {
    const one = { jsonrpc: "2.0", error: { code: -32600, message: "Invalid Request" }, id: null };
    expect(reply("[1,2,3]")).toEqual([one, one, one]);
  });

  test("rpc call Batch: mixed", () => {
    calls.length = 0;
    const text = `[
      {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
      {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
      {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
      {"foo": "boo"},
      {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
      {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
    ]`;
    expect(reply(text)).toEqual([
      { jsonrpc: "2.0", result: 7, id: "1" },
      { jsonrpc: "2.0", result: 19, id: "2" },
      { jsonrpc: "2.0", error: { code: -32600, message: "Invalid Request" }, id: null },
      { jsonrpc: "2.0", error: { code: -32601, message: "Method not found" }, id: "5" },
      { jsonrpc: "2.0", result: ["hello", 5], id: "9" },
    ]);
    expect(calls).toEqual(["notify_hello"]);
  });

  test("rpc call Batch (all notifications): no reply at all", () => {
    calls.length = 0;
    expect(rpc('[{"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},{"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}]').reply).toBeNull();
    expect(calls).toEqual(["notify_sum", "notify_hello"]);
  });
});

describe("JSON-RPC 2.0 rules beyond the examples", () => {
  test("an id beyond 2^53 is echoed exactly as written, single or in a batch; params are parsed as usual", () => {
    const big = "9007199254740993"; // 2^53 + 1: JSON.parse alone reads it as 9007199254740992
    expect(rpc(`{"jsonrpc":"2.0","method":"get_data","id":${big}}`).reply).toBe(`{"jsonrpc":"2.0","result":["hello",5],"id":${big}}`);
    expect(rpc(`{"jsonrpc":"2.0","method":"nope","id":-${big}}`).reply).toBe(`{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":-${big}}`);
    expect(rpc(`[{"jsonrpc":"2.0","method":"get_data","id":1},{"jsonrpc":"2.0","method":"get_data","id":${big}}]`).reply).toBe(
      `[{"jsonrpc":"2.0","result":["hello",5],"id":1},{"jsonrpc":"2.0","result":["hello",5],"id":${big}}]`,
    );
    // Invalid Request still echoes the id it could read.
    expect(rpc(`{"jsonrpc":"1.0","method":"get_data","id":${big}}`).reply).toBe(`{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":${big}}`);
    // An id a double holds exactly is echoed as JSON writes it; params keep JSON.parse's numbers.
    expect(rpc(`{"jsonrpc":"2.0","method":"subtract","params":{"minuend":${big},"subtrahend":0},"id":2.5}`).reply).toBe(`{"jsonrpc":"2.0","result":9007199254740992,"id":2.5}`);
  });

  test('"jsonrpc" must be exactly "2.0"; a readable id is echoed', () => {
    for (const v of ['"2"', '"2.0 "', "2.0", "2", "null"]) {
      const r = reply(`{"jsonrpc":${v},"method":"get_data","id":7}`);
      expect(r.error.code).toBe(RpcCode.invalidRequest);
      expect(r.id).toBe(7);
    }
    expect(reply('{"method":"get_data","id":"a"}')).toMatchObject({ error: { code: -32600 }, id: "a" });
  });

  test("an id of the wrong type cannot be detected: the error carries id null", () => {
    for (const id of ["{}", "[1]", "true"]) expect(reply(`{"jsonrpc":"2.0","method":"get_data","id":${id}}`)).toMatchObject({ error: { code: -32600 }, id: null });
  });

  test("params must be an array or an object when present", () => {
    for (const p of ['"bar"', "3", "null", "true"]) expect(reply(`{"jsonrpc":"2.0","method":"get_data","params":${p},"id":1}`)).toMatchObject({ error: { code: -32600 }, id: 1 });
  });

  test('"id": null is a request (answered with id null), not a notification', () => {
    expect(rpc('{"jsonrpc":"2.0","method":"get_data","id":null}').reply).toBe('{"jsonrpc":"2.0","result":["hello",5],"id":null}');
  });

  test("valid JSON that is not an object is an invalid request, not a parse error", () => {
    for (const t of ['"x"', "3", "null", "true", " {} "]) expect(reply(t).error.code).toBe(RpcCode.invalidRequest);
    for (const t of ["007", "", "{", "'x'", "[1,]", "NaN"]) expect(reply(t).error.code).toBe(RpcCode.parseError);
  });

  test("a peer's response (no method, result or error) is accepted silently, alone or in a batch", () => {
    expect(rpc('{"jsonrpc":"2.0","result":{"status":"success"},"id":1}').reply).toBeNull();
    expect(rpc('{"jsonrpc":"2.0","error":{"code":1,"message":"x"},"id":2}').reply).toBeNull();
    expect(classify({ result: 1 }).kind).toBe("response");
    expect(reply('[{"jsonrpc":"2.0","result":null,"id":3},{"jsonrpc":"2.0","method":"get_data","id":4}]')).toEqual([{ jsonrpc: "2.0", result: ["hello", 5], id: 4 }]);
    expect(rpc('[{"jsonrpc":"2.0","result":null,"id":3}]').reply).toBeNull();
  });

  test("side effects run after the whole reply is built, in call order; errors add none", () => {
    const order: string[] = [];
    const methods = new Map<string, SyncMethod<null>>([
      ["a", () => ({ result: 1, after: () => order.push("a") })],
      ["b", () => ({ result: 2, after: () => order.push("b") })],
    ]);
    const r = dispatch('[{"jsonrpc":"2.0","method":"a","id":1},{"jsonrpc":"2.0","method":"zz","id":2},{"jsonrpc":"2.0","method":"b"}]', methods, null);
    expect(order).toEqual([]);
    for (const fn of r.after) fn();
    expect(order).toEqual(["a", "b"]);
    expect(JSON.parse(r.reply!)).toHaveLength(2);
  });

  test("a method that waits: the frame's reply comes when it is done; a sync frame stays sync", async () => {
    const order: string[] = [];
    let open: (() => void) | null = null;
    const methods = new Map<string, Method<null>>([
      ["now", () => (order.push("now"), { result: "n", after: () => order.push("after now") })],
      ["later", () => new Promise((resolve) => (open = () => (order.push("later"), resolve({ result: "l", after: () => order.push("after later") }))))],
    ]);
    const sync = dispatch('{"jsonrpc":"2.0","method":"now","id":1}', methods, null);
    expect(sync instanceof Promise).toBe(false);
    const single = dispatch('{"jsonrpc":"2.0","method":"later","id":2}', methods, null);
    expect(single instanceof Promise).toBe(true);
    open!();
    expect((await single).reply).toBe('{"jsonrpc":"2.0","result":"l","id":2}');
    order.length = 0;
    // In a batch the calls after a waiting one run only once it is done, in order.
    const batch = dispatch('[{"jsonrpc":"2.0","method":"now","id":3},{"jsonrpc":"2.0","method":"later","id":4},{"jsonrpc":"2.0","method":"now","id":5},{"jsonrpc":"2.0","method":"zz","id":6}]', methods, null);
    expect(order).toEqual(["now"]);
    open!();
    const r = await batch;
    expect(order).toEqual(["now", "later", "now"]);
    expect(JSON.parse(r.reply!).map((x: { id: number }) => x.id)).toEqual([3, 4, 5, 6]);
    expect(r.errors).toBe(1);
    for (const fn of r.after) fn();
    expect(order.slice(3)).toEqual(["after now", "after later", "after now"]);
  });

  test("a batch over the limit is refused as a whole", () => {
    const big = JSON.stringify(Array.from({ length: MAX_BATCH + 1 }, (_, i) => ({ jsonrpc: "2.0", method: "get_data", id: i })));
    expect(reply(big)).toMatchObject({ error: { code: -32600 }, id: null });
    const ok = JSON.stringify(Array.from({ length: MAX_BATCH }, (_, i) => ({ jsonrpc: "2.0", method: "get_data", id: i })));
    expect(reply(ok)).toHaveLength(MAX_BATCH);
  });

  test("server requests are compact, members in the original order", () => {
    expect(encodeRequest("stop_sound", "null", 3)).toBe('{"jsonrpc":"2.0","method":"stop_sound","params":null,"id":3}');
  });
});
