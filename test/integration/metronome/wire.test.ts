// /connect on the wire (docs/metronome.md#errors): JSON-RPC 2.0 exactly as the specification
// writes it (its own examples, replayed against the metronome's method table), raw frames, client
// replies, and the common rules (frame size, rate limit). Black box: the real server, real sockets.
import { describe, expect, test } from "bun:test";
import { pages } from "../../../src/pages/registry.ts";
import { bootServer } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";
import { MetronomeClient, metronomeServer, OPEN_FRAME } from "../../helpers/clients/metronome.ts";

const phones = metronomeServer();
const connect = (path = "/connect") => phones.connect(0, path);

const PARSE = '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}';
const INVALID = '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}';
const NOT_FOUND = (id: string) => `{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":${id}}`;

describe("connection", () => {
  test("the open frame, byte for byte, on /connect and on /metronome (also with a query or a trailing slash)", async () => {
    for (const path of ["/connect", "/metronome", "/connect?client=phone", "/metronome/"]) {
      const c = await TestClient.open(phones.server.ws(path));
      expect(await c.next()).toBe(OPEN_FRAME);
      expect(await c.quiet(100)).toBe(true);
      c.close();
    }
  });

  test("plain HTTP on /connect is refused with 426; on /metronome too, unless the metronome page is built in", async () => {
    expect((await fetch(phones.server.http + "/connect")).status).toBe(426);
    const page = pages.some((p) => p.path === "/metronome");
    expect((await fetch(phones.server.http + "/metronome")).status).toBe(page ? 200 : 426);
  });
});

describe("JSON-RPC 2.0 specification examples, replayed on /connect", () => {
  test("non-existent method", async () => {
    const c = await connect();
    c.send('{"jsonrpc": "2.0", "method": "foobar", "id": "1"}');
    expect(await c.reply()).toBe(NOT_FOUND('"1"'));
  });

  test("invalid JSON", async () => {
    const c = await connect();
    c.send('{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]');
    expect(await c.reply()).toBe(PARSE);
  });

  test("invalid Request object: exactly the specification's error object", async () => {
    const c = await connect();
    c.send('{"jsonrpc": "2.0", "method": 1, "params": "bar"}');
    expect(await c.reply()).toBe(INVALID);
  });

  test("batch with invalid JSON: one parse error, not an array", async () => {
    const c = await connect();
    c.send('[\n  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},\n  {"jsonrpc": "2.0", "method"\n]');
    expect(await c.reply()).toBe(PARSE);
  });

  test("empty array: one Invalid Request, not an array", async () => {
    const c = await connect();
    c.send("[]");
    expect(await c.reply()).toBe(INVALID);
  });

  test("invalid batch [1] and [1,2,3]: an array with one error per element", async () => {
    const c = await connect();
    c.send("[1]");
    expect(await c.reply()).toBe(`[${INVALID}]`);
    c.send("[1,2,3]");
    expect(await c.reply()).toBe(`[${INVALID},${INVALID},${INVALID}]`);
  });

  test("mixed batch: replies in order, nothing for the notification, errors in place", async () => {
    const c = await connect();
    c.send(`[
      {"jsonrpc": "2.0", "method": "get_id", "params": [123123123], "id": "1"},
      {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
      {"jsonrpc": "2.0", "method": "get_id", "params": {"time_utc": 123123123}, "id": "2"},
      {"foo": "boo"},
      {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
      {"jsonrpc": "2.0", "method": "create_group", "params": {"time_utc": 123123123}, "id": "9"}
    ]`);
    const text = await c.reply();
    const r = JSON.parse(text);
    const n = r[0].result.client_id;
    expect(text).toBe(
      `[{"jsonrpc":"2.0","result":{"status":"success","client_id":${n}},"id":"1"},` +
        `{"jsonrpc":"2.0","result":{"status":"success","client_id":${n}},"id":"2"},` +
        `${INVALID},${NOT_FOUND('"5"')},` +
        `{"jsonrpc":"2.0","result":{"status":"success","group_id":${n}},"id":"9"}]`,
    );
  });

  test("notifications, alone or as a whole batch, get nothing; the next request is answered first", async () => {
    const c = await connect();
    c.send('{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}');
    c.send('{"jsonrpc": "2.0", "method": "foobar"}');
    c.send('[{"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},{"jsonrpc": "2.0", "method": "get_id", "params": {"time_utc": 1}}]');
    c.send('{"jsonrpc": "2.0", "method": "get_id", "params": {"time_utc": 1}, "id": 42}');
    expect(await c.reply()).toMatch(/^\{"jsonrpc":"2\.0","result":\{"status":"success","client_id":[1-9]\d*\},"id":42\}$/);
    expect(await c.quiet(150)).toBe(true);
  });
});

describe("JSON-RPC 2.0 rules beyond the examples", () => {
  test("ids are echoed exactly: string, number, null, unicode", async () => {
    const c = await connect();
    for (const id of ['"abc"', "0", "-7", "1.5", "null", '"über \\ud83c\\udfb5"', '""']) {
      c.send(`{"jsonrpc":"2.0","method":"nope","id":${id}}`);
      expect(JSON.parse(await c.reply()).id).toEqual(JSON.parse(id));
    }
  });

  test("an Invalid Request echoes a readable id, and null otherwise", async () => {
    const c = await connect();
    const cases: Array<[string, string]> = [
      ['{"jsonrpc":"1.0","method":"get_id","params":{"time_utc":1},"id":7}', "7"],
      ['{"method":"get_id","params":{"time_utc":1},"id":"x"}', '"x"'],
      ['{"jsonrpc":2.0,"method":"get_id","id":8}', "8"],
      ['{"jsonrpc":"2.0","method":"get_id","params":"bar","id":9}', "9"],
      ['{"jsonrpc":"2.0","method":"get_id","params":null,"id":10}', "10"],
      ['{"jsonrpc":"2.0","id":11}', "11"],
      ['{"jsonrpc":"2.0","method":"get_id","id":{}}', "null"],
      ['{"jsonrpc":"2.0","method":"get_id","id":[1]}', "null"],
      ['{"jsonrpc":"2.0","method":"get_id","id":true}', "null"],
      ['{"jsonrpc":"2.0","method":null,"id":12}', "12"],
    ];
    for (const [frame, id] of cases) {
      c.send(frame);
      expect(await c.reply()).toBe(`{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":${id}}`);
    }
  });

  test("valid JSON that is not a request object is -32600; anything unparseable is -32700", async () => {
    const c = await connect();
    for (const t of ['"x"', "3", "null", "true", "{}", "[[]]"]) {
      c.send(t);
      const r = await c.reply();
      expect(r).toBe(t === "[[]]" ? `[${INVALID}]` : INVALID);
    }
    for (const t of ["007", "", " ", "{", "'x'", "[1,]", "NaN", "\ufeff{}", '{"a":1}}']) {
      c.send(t);
      expect(await c.reply()).toBe(PARSE);
    }
  });

  test("raw frames reach the handler untouched: 007, \"x\", 3; the socket stays open", async () => {
    const c = await connect();
    c.send("007");
    expect(await c.reply()).toBe(PARSE); // a rewriting parser would have made it 7 (an Invalid Request)
    c.send('"x"');
    expect(await c.reply()).toBe(INVALID); // a rewriting parser would have made it x (a parse error)
    c.send("3");
    expect(await c.reply()).toBe(INVALID);
    expect(c.ws.closed).toBeNull();
    expect((await c.result("get_id", { time_utc: Date.now() })).status).toBe("success");
  });

  test('"id": null is a request and is answered; a request without id is a notification', async () => {
    const c = await connect();
    c.send('{"jsonrpc":"2.0","method":"get_id","params":{"time_utc":1},"id":null}');
    expect(await c.reply()).toMatch(/^\{"jsonrpc":"2\.0","result":\{"status":"success","client_id":\d+\},"id":null\}$/);
    c.send('{"jsonrpc":"2.0","method":"get_id","params":{"time_utc":1}}');
    expect(await c.quiet(150)).toBe(true);
  });

  test("a binary frame of UTF-8 JSON is read like text; invalid UTF-8 is a parse error", async () => {
    const c = await connect();
    c.send(new TextEncoder().encode('{"jsonrpc":"2.0","method":"nope","id":"b"}'));
    expect(await c.reply()).toBe(NOT_FOUND('"b"'));
    c.send(new TextEncoder().encode('{"jsonrpc":"2.0","method":"get_id","params":{"time_utc":1},"id":"bin"}'));
    expect(JSON.parse(await c.reply())).toMatchObject({ id: "bin", result: { status: "success" } });
    c.send(new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]));
    expect(await c.reply()).toBe(PARSE);
    c.send(new Uint8Array([0x7b, 0xff, 0x7d]));
    expect(await c.reply()).toBe(PARSE);
    c.send(new Uint8Array(0));
    expect(await c.reply()).toBe(PARSE);
  });
});

describe("a client answering the server's requests", () => {
  test("result/error frames are accepted silently, alone, without jsonrpc, and inside batches", async () => {
    const c = await connect();
    const frames = [
      '{"jsonrpc":"2.0","result":{"status":"success","message":"played"},"id":1}',
      '{"jsonrpc":"2.0","result":{"status":"error","message":"audio busy"},"id":2}',
      '{"jsonrpc":"2.0","error":{"code":-32000,"message":"no speaker"},"id":3}',
      '{"jsonrpc":"2.0","result":null,"id":null}',
      '{"result":{"status":"success"},"id":4}',
      '{"jsonrpc":"2.0","result":{"status":"success"},"id":999999}',
      '[{"jsonrpc":"2.0","result":{"status":"success"},"id":5},{"jsonrpc":"2.0","error":{"code":1,"message":"x"},"id":6}]',
    ];
    for (const f of frames) c.send(f);
    expect(await c.quiet(250)).toBe(true);
    // Mixed with a request in one batch: only the request is answered.
    c.send('[{"jsonrpc":"2.0","result":{"status":"success"},"id":7},{"jsonrpc":"2.0","method":"nope","id":"q"}]');
    expect(await c.reply()).toBe(`[${NOT_FOUND('"q"')}]`);
    expect(await c.quiet(100)).toBe(true);
  });
});

describe("common rules on /connect", () => {
  test("a frame of exactly the limit is handled; one byte more closes with 1009; others unaffected", async () => {
    const limit = 65536;
    const c = await connect();
    const bystander = await connect();
    const head = '{"jsonrpc":"2.0","method":"nope","id":1,"pad":"';
    const exact = head + "x".repeat(limit - head.length - 2) + '"}';
    expect(Buffer.byteLength(exact)).toBe(limit);
    c.send(exact);
    expect(await c.reply()).toBe(NOT_FOUND("1"));
    // Multi-byte characters count as bytes: 2-byte é pushes a short string over the limit.
    c.send(head + "é".repeat((limit - head.length) / 2) + '"}');
    expect((await c.ws.waitClose()).code).toBe(1009);
    bystander.send('{"jsonrpc":"2.0","method":"nope","id":2}');
    expect(await bystander.reply()).toBe(NOT_FOUND("2"));
  });

  test("oversized binary frames, and frames far over every limit, also close with 1009", async () => {
    for (const frame of [new Uint8Array(65537).fill(0x20), "x".repeat(2 * 1024 * 1024)]) {
      const c = await connect();
      c.send(frame);
      expect((await c.ws.waitClose()).code).toBe(1009);
    }
  });

  test("rate limit: the -32005 error with id null while over, then close 1008 if it keeps going", async () => {
    const rs = await bootServer({ rateLimit: 10, rateBurst: 10, rateQueue: 3 });
    try {
      const c = await MetronomeClient.open(rs.ws("/connect"));
      const bystander = await MetronomeClient.open(rs.ws("/connect"));
      for (let i = 0; i < 40; i++) c.send(`{"jsonrpc":"2.0","method":"nope","id":${i}}`);
      const seen: string[] = [];
      while (!c.ws.closed) {
        try {
          seen.push(await c.reply(2000));
        } catch {
          break;
        }
      }
      expect(seen.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => NOT_FOUND(String(i))));
      expect(seen).toContain('{"jsonrpc":"2.0","error":{"code":-32005,"message":"too many messages waiting: slow down"},"id":null}');
      expect((await c.ws.waitClose()).code).toBe(1008);
      bystander.send('{"jsonrpc":"2.0","method":"nope","id":"ok"}');
      expect(await bystander.reply()).toBe(NOT_FOUND('"ok"'));
      bystander.close();
    } finally {
      await rs.stop();
    }
  });

  test("hostile frames never close the socket nor lose its state", async () => {
    const c = await connect();
    const { client_id } = await c.result("get_id", { time_utc: Date.now() });
    const junk = ["", "null", "[null]", "[[],[]]", '{"jsonrpc":"2.0","method":"get_id","params":{"time_utc":1e999},"id":1}', '{"__proto__":{"x":1}}', "\u0000", "\ud800", '{"jsonrpc":"2.0","method":"constructor","id":2}', '{"jsonrpc":"2.0","method":"toString","id":3}', '{"jsonrpc":"2.0","method":"__proto__","id":4}'];
    for (const j of junk) c.send(j);
    for (let i = 0; i < junk.length; i++) await c.reply();
    expect(c.ws.closed).toBeNull();
    expect(await c.result("get_id", { time_utc: Date.now() })).toEqual({ status: "success", client_id });
  });
});
