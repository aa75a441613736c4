// Fuzzing the metronome's JSON-RPC codec and method table (docs/metronome.md#errors, #methods):
// whatever frames a client sends, every reply is a JSON-RPC 2.0 response with the id rule of
// §5/§6 (one reply per request, none for notifications and client replies, the request's id
// echoed by value, null where it cannot be read), errors are only -32700/-32600/-32601/-32602
// with their standard messages, domain outcomes are {status:"success"} or a documented message,
// and server requests carry ids unique per connection. Valid calls of the methods table never
// get an error, and requests and responses survive encode → parse.
import { describe, expect, test } from "bun:test";
import { callCount, dispatch, encodeError, encodeRequest, encodeResult, MAX_BATCH, parse, RawNumber, type RpcId } from "../../../src/protocols/metronome/codec.ts";
import { Msg, rpcError, RpcCode } from "../../../src/protocols/metronome/errors.ts";
import { metronomeMethods } from "../../../src/protocols/metronome/methods.ts";
import { MetronomeHub, type MetronomeClient } from "../../../src/protocols/metronome/state.ts";
import { FakeClock, FakeConn, FakeHub } from "../../helpers/fakes.ts";
import { anyText, check, fc, nearValid, RawJson, textEdit, toJson } from "./fuzz.ts";

const METHODS = ["get_id", "create_group", "subscribe_to_group", "start_metronome", "update_temp", "stop_metronome", "sync_time"];
const STANDARD: Record<number, string> = { [-32700]: "Parse error", [-32600]: "Invalid Request", [-32601]: "Method not found", [-32602]: "Invalid params" };
const DOMAIN = new Set<string>(Object.values(Msg));

// ---- the grammar: valid params of each method (docs/metronome.md#methods) ----
const ts = fc.oneof(fc.integer({ min: 0, max: 2 ** 42 }), fc.double({ min: -1e13, max: 1e13, noNaN: true, noDefaultInfinity: true }));
const groupId = fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }).map(String), fc.integer({ min: 0, max: 2 ** 40 }));
const bpm = fc.double({ min: 20, max: 400, noNaN: true });
const exchange = fc.record({ client_ts: ts, server_recv_ts: ts, server_send_ts: ts, client_recv_ts: ts });
const PARAMS: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  get_id: fc.record({ time_utc: ts }),
  create_group: fc.record({ time_utc: ts }),
  subscribe_to_group: fc.record({ group_id: groupId }),
  start_metronome: fc.record({ group_id: groupId, current_client_ts: ts, bpm }),
  update_temp: fc.record({ group_id: groupId, current_client_ts: ts, bpm }),
  stop_metronome: fc.record({ group_id: groupId, current_client_ts: ts }),
  sync_time: fc.record({ client_ts: ts, previous: fc.option(exchange) }, { requiredKeys: ["client_ts"] }),
};
const id = fc.oneof(fc.nat(), fc.string({ maxLength: 12 }), fc.constant(null), fc.bigInt({ min: 2n ** 53n, max: 2n ** 80n }).map((n) => new RawJson(String(n))), fc.constantFrom(new RawJson("1.0"), new RawJson("1E2"), new RawJson("-0")));
/** A valid call: a request (with an id) or a notification, params by name or by position. */
const validCall = fc.constantFrom(...METHODS).chain((method) =>
  fc.record({ method: fc.constant(method), params: PARAMS[method]!, id: fc.option(id, { freq: 4 }), positional: fc.boolean() }),
).map(({ method, params, id, positional }) => {
  const p = positional && method !== "sync_time" ? Object.values(params) : params;
  return { jsonrpc: "2.0", method, params: p, ...(id === null ? {} : { id }) };
});
/** What a client also sends: answers to the server's play_sound/stop_sound. */
const clientReply = fc.record({ jsonrpc: fc.constant("2.0"), result: fc.jsonValue({ maxDepth: 1 }), id: fc.nat() });
const element = fc.oneof({ weight: 4, arbitrary: validCall }, { weight: 1, arbitrary: clientReply });
const frame = fc.oneof(
  { weight: 3, arbitrary: nearValid(element) },
  { weight: 2, arbitrary: fc.array(element, { maxLength: 6 }).chain((b) => fc.oneof(fc.constant(toJson(b)), nearValid(fc.constant(b)), textEdit(toJson(b)))) },
  { weight: 1, arbitrary: anyText },
);

// ---- the oracle: which replies a frame must get (JSON-RPC 2.0 §4, §5, §6) ----
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof RawJson);
const has = (o: object, k: string) => Object.hasOwn(o, k);
/** Parse keeping every number's text, so an id is compared as written (a double would round it). */
const parseExact = (text: string): unknown => JSON.parse(text, (_k, v, ctx?: { source?: string }) => (typeof v === "number" ? new RawJson(ctx!.source!) : v) as unknown);

/** A number's value in a canonical spelling: digits without zeros at either end, and a power of ten. */
function canon(text: string): string {
  const m = /^(-)?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return text;
  let digits = (m[2]! + (m[3] ?? "")).replace(/^0+/, "");
  let exp = Number(m[4] ?? 0) - (m[3]?.length ?? 0);
  while (digits.endsWith("0")) (digits = digits.slice(0, -1)), exp++;
  return digits === "" ? "0" : `${m[1] ?? ""}${digits}e${exp}`;
}
/**
 * An id as the reply must carry it, everything but numbers as JSON. An integer is compared by its
 * exact value (beyond 2^53 too); a number written with a fraction or an exponent by the double it
 * denotes (`1.0` may come back as `1`, `1e-999` as `0`: docs/metronome.md#json-rpc-errors).
 */
function idKey(v: unknown): string {
  if (!(v instanceof RawJson)) return JSON.stringify(v);
  return `n:${canon(/^-?\d+$/.test(v.text) ? v.text : String(Number(v.text)))}`;
}

/** For one element: undefined if it gets no reply, else the id its reply carries. */
function expectedId(e: unknown): string | undefined {
  if (!isObj(e)) return "null";
  if (!has(e, "method") && (has(e, "result") || has(e, "error"))) return undefined; // a client's reply
  const validId = has(e, "id") && (e.id === null || typeof e.id === "string" || e.id instanceof RawJson);
  const wellFormed = e.jsonrpc === "2.0" && typeof e.method === "string" && (!has(e, "params") || Array.isArray(e.params) || isObj(e.params));
  if (wellFormed && !has(e, "id")) return undefined; // a notification
  return validId ? idKey(e.id) : "null";
}

/** The ids the replies to `text` must carry, in order; null when nothing may be sent. */
function expectedReplies(text: string): string[] | null {
  let v: unknown;
  try {
    v = parseExact(text);
  } catch {
    return ["null"]; // -32700
  }
  if (!Array.isArray(v)) return expectedId(v) === undefined ? null : [expectedId(v)!];
  if (v.length === 0 || v.length > MAX_BATCH) return ["null"];
  const ids = v.map(expectedId).filter((x): x is string => x !== undefined);
  return ids.length ? ids : null;
}

/** Check one reply object's shape; returns its id as idKey spells it. */
function checkResponse(r: unknown): string {
  expect(isObj(r)).toBe(true);
  const o = r as Record<string, unknown>;
  expect(o.jsonrpc).toBe("2.0");
  expect(has(o, "id")).toBe(true);
  expect(has(o, "result") !== has(o, "error")).toBe(true);
  if (has(o, "error")) {
    const e = o.error as Record<string, unknown>;
    const code = Number((e.code as RawJson).text);
    expect(STANDARD[code]).toBe(e.message as string);
    if (has(e, "data")) expect(typeof e.data).toBe("string");
  } else {
    const res = o.result as Record<string, unknown>;
    expect(["success", "error"]).toContain(res.status as string);
    if (res.status === "error") expect(DOMAIN.has(res.message as string)).toBe(true);
  }
  return idKey(o.id);
}

// ---- a fresh hub per case: client A is fuzzed, client B owns group 1 ----
function session() {
  const clock = new FakeClock();
  const topics = new FakeHub();
  const hub = new MetronomeHub({ clock, leadMs: 1000, topics });
  const methods = metronomeMethods(hub);
  const conns = [new FakeConn<MetronomeClient>(topics), new FakeConn<MetronomeClient>(topics)];
  const clients = conns.map((c) => hub.connect(c));
  const send = (who: number, text: string) => {
    const out = dispatch(text, methods, clients[who]!);
    // One node with the in-memory registries answers every frame at once (docs/cluster.md#metronome).
    if (out instanceof Promise) throw new Error("the in-memory hub answered asynchronously");
    for (const fn of out.after) fn();
    return out;
  };
  send(1, '{"jsonrpc":"2.0","method":"get_id","params":{"time_utc":0},"id":1}');
  send(1, '{"jsonrpc":"2.0","method":"create_group","params":{"time_utc":0},"id":2}');
  conns[1]!.take();
  return { clock, conns, send, disconnect: (who: number) => hub.disconnect(clients[who]!) };
}

/** Server → client requests: play_sound/stop_sound, ids unique per connection. */
function checkServerRequests(frames: string[], seen: Set<number>): void {
  for (const f of frames) {
    const m = JSON.parse(f);
    expect(["play_sound", "stop_sound"]).toContain(m.method);
    expect(Number.isSafeInteger(m.id)).toBe(true);
    expect(seen.has(m.id)).toBe(false);
    seen.add(m.id);
  }
}

describe("JSON-RPC codec fuzz (metronome)", () => {
  test("every frame gets exactly the replies §5/§6 ask for, with the right ids and error objects", () => {
    const steps = fc.array(fc.tuple(fc.nat({ max: 4 }), frame, fc.nat({ max: 3000 })), { minLength: 1, maxLength: 8 });
    check("jsonrpc dispatch", steps, (list) => {
      const s = session();
      const ks = [new Set<number>(), new Set<number>()];
      for (const [pick, text, wait] of list) {
        const who = pick === 4 ? 1 : 0; // mostly A; sometimes the owner
        const { reply } = s.send(who, text);
        const want = expectedReplies(text);
        if (want === null) expect(reply).toBeNull();
        else {
          expect(reply).not.toBeNull();
          const got = parseExact(reply!);
          const items = Array.isArray(got) ? got : [got];
          // A batch is answered with an array, a single call (and a batch refused whole) with one object.
          expect(items.map(checkResponse)).toEqual(want);
        }
        for (const [i, c] of s.conns.entries()) checkServerRequests(c.take(), ks[i]!);
        s.clock.advance(wait);
      }
      s.disconnect(1);
      checkServerRequests(s.conns[0]!.take(), ks[0]!);
    }, { runs: 400, ms: 1000 });
  });

  test("valid calls of the methods table never get a JSON-RPC error", () => {
    check("jsonrpc valid calls", fc.array(validCall, { minLength: 1, maxLength: 6 }), (calls) => {
      const s = session();
      for (const c of calls) {
        const { reply } = s.send(0, toJson(c));
        if (reply !== null) expect(JSON.parse(reply).error).toBeUndefined();
      }
    });
  });

  test("requests and responses survive encode → parse, ids by value", () => {
    const rawId = fc.oneof(fc.nat(), fc.string(), fc.constant(null), fc.bigInt({ min: 2n ** 53n, max: 2n ** 90n }).map((n) => new RawNumber(String(n))));
    check("jsonrpc encode/parse", fc.tuple(fc.constantFrom(...METHODS), fc.jsonValue({ maxDepth: 2 }), rawId, fc.nat()), ([method, value, rid, k]) => {
      const params = isObj(value) || Array.isArray(value) ? value : [value];
      const req = parse(encodeRequest(method, JSON.stringify(params), k));
      expect(req).toEqual({ kind: "single", item: { kind: "request", method, params: JSON.parse(JSON.stringify(params)), id: k } });
      // Same value: a RawNumber that a double holds exactly may come back as a plain number.
      const key = (v: unknown) => (v instanceof RawNumber ? `n:${canon(v.text)}` : typeof v === "number" ? `n:${canon(String(v))}` : JSON.stringify(v));
      const same = (a: unknown, b: RpcId) => expect(key(a)).toBe(key(b));
      const res = parse(encodeResult(rid, value));
      expect(res.kind === "single" && res.item.kind === "response").toBe(true);
      if (res.kind === "single" && res.item.kind === "response") {
        same(res.item.id, rid);
        expect(res.item.result).toEqual(JSON.parse(JSON.stringify(value ?? null)));
      }
      const err = parse(encodeError(rid, rpcError(RpcCode.invalidParams, "x")));
      if (err.kind === "single" && err.item.kind === "response") same(err.item.id, rid);
      else throw new Error("an encoded error is not read back as a response");
    });
  });

  test("callCount counts a batch's calls, one for anything else (the rate limit's unit)", () => {
    check("jsonrpc callCount", frame, (text) => {
      let n = 1;
      try {
        const v: unknown = JSON.parse(text);
        if (Array.isArray(v)) n = Math.max(1, v.length);
      } catch {}
      expect(callCount(text)).toBe(n);
    });
  });
});
