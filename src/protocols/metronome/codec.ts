// A generic JSON-RPC 2.0 codec and dispatcher (https://www.jsonrpc.org/specification). Pure:
// text in, text out, errors as values. Knows nothing about the metronome; methods are passed in.
import { rpcError, RpcCode, type RpcError } from "./errors.ts";

/**
 * A numeric id a double cannot hold exactly (an integer beyond 2^53, say), kept as the client wrote
 * it: the reply must carry "the same value as the id" (JSON-RPC 2.0 section 5), and JSON.parse alone would round it.
 */
export class RawNumber {
  constructor(readonly text: string) {}
}
export type RpcId = string | number | null | RawNumber;
export type RpcParams = unknown[] | Record<string, unknown>;

/** One element of the input, classified (JSON-RPC 2.0 sections 4, 4.1 and 5). */
export type Incoming =
  | { kind: "request"; method: string; params: RpcParams | null | undefined; id: RpcId }
  | { kind: "notification"; method: string; params: RpcParams | null | undefined }
  /** A frame without `method` but with `result`/`error`: the peer answering one of our requests. */
  | { kind: "response"; id: unknown; result?: unknown; error?: unknown }
  /** Valid JSON that is not a Request object; `id` is echoed when it could be read (JSON-RPC 2.0 section 5). */
  | { kind: "invalid"; id: RpcId };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is RpcId => v === null || typeof v === "string" || typeof v === "number" || v instanceof RawNumber;
const has = (o: object, k: string) => Object.hasOwn(o, k);

/**
 * Classify one parsed value as a request, notification, peer response or invalid request.
 * `nullParams`: the methods for which `"params": null` is passed on as null instead of being an
 * Invalid Request (a deliberate leniency of the caller's protocol; see docs/metronome.md#json-rpc-errors).
 */
export function classify(v: unknown, nullParams?: ReadonlySet<string>): Incoming {
  if (!isObject(v)) return { kind: "invalid", id: null };
  // JSON-RPC 2.0 section 5: an id of the wrong type cannot be "detected", so the error reply carries null.
  const id = has(v, "id") && isId(v.id) ? v.id : null;
  if (!has(v, "method") && (has(v, "result") || has(v, "error"))) return { kind: "response", id: v.id, result: v.result, error: v.error };
  if (v.jsonrpc !== "2.0") return { kind: "invalid", id }; // exactly "2.0" (JSON-RPC 2.0 section 4)
  if (typeof v.method !== "string") return { kind: "invalid", id };
  // JSON-RPC 2.0 section 4.2: params, when present, MUST be an Array or an Object.
  const params = v.params;
  const lenient = params === null && nullParams !== undefined && nullParams.has(v.method);
  if (has(v, "params") && !lenient && !Array.isArray(params) && !isObject(params)) return { kind: "invalid", id };
  if (has(v, "id") && !isId(v.id)) return { kind: "invalid", id: null }; // JSON-RPC 2.0 section 4: string, number or null
  const p = params as RpcParams | null | undefined;
  // JSON-RPC 2.0 section 4.1: only a Request *without* an id member is a notification; "id": null is a request.
  return has(v, "id") ? { kind: "request", method: v.method, params: p, id: v.id as RpcId } : { kind: "notification", method: v.method, params: p };
}

export type Parsed = { kind: "parse-error" } | { kind: "single"; item: Incoming } | { kind: "batch"; items: Incoming[] } | { kind: "empty-batch" };

/** An id member that JSON.parse may have rounded: a number that is not a safe integer. */
const inexactId = (v: unknown): boolean => isObject(v) && typeof v.id === "number" && !Number.isSafeInteger(v.id);

/**
 * Parse again, keeping the text of such ids (JSON.parse source text access: the reviver's third
 * argument). Only the id of a top-level object or of a batch element is a request's id: the
 * reviver notes every candidate by its holder, and only those holders get theirs back, so an "id"
 * inside params keeps JSON.parse's number. Which holders are requests is decided here, not by
 * their members: an Invalid Request without "jsonrpc" still echoes its id exactly
 * (docs/metronome.md#json-rpc-errors).
 */
function parseKeepingIds(text: string): unknown {
  const texts = new WeakMap<object, string>();
  const v: unknown = JSON.parse(text, function (this: object, key: string, value: unknown, context?: { source?: string }) {
    if (key !== "id" || typeof value !== "number" || Number.isSafeInteger(value)) return value;
    const src = context?.source;
    if (src !== undefined && src !== JSON.stringify(value)) texts.set(this, src);
    return value;
  } as (k: string, v: unknown) => unknown);
  const keep = (o: unknown) => {
    const t = isObject(o) ? texts.get(o) : undefined;
    if (t !== undefined) (o as Record<string, unknown>).id = new RawNumber(t);
  };
  if (Array.isArray(v)) v.forEach(keep);
  else keep(v);
  return v;
}

/** Parse one frame. The text is parsed exactly as received (docs/common.md#raw-frames). */
export function parse(text: string, nullParams?: ReadonlySet<string>): Parsed {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { kind: "parse-error" };
  }
  // Rare, so the common path pays one check: parse again, keeping the id's text.
  if (Array.isArray(v) ? v.some(inexactId) : inexactId(v)) v = parseKeepingIds(text);
  if (!Array.isArray(v)) return { kind: "single", item: classify(v, nullParams) };
  if (v.length === 0) return { kind: "empty-batch" };
  return { kind: "batch", items: v.map((e) => classify(e, nullParams)) };
}

// ---- encoding (compact JSON; member order as in the specification's examples) ----

const idText = (id: RpcId) => (id instanceof RawNumber ? id.text : JSON.stringify(id));

export const encodeResult = (id: RpcId, result: unknown): string => `{"jsonrpc":"2.0","result":${JSON.stringify(result ?? null)},"id":${idText(id)}}`;
export const encodeError = (id: RpcId, error: RpcError): string => `{"jsonrpc":"2.0","error":${JSON.stringify(error)},"id":${idText(id)}}`;
/** The text of a server → client request (JSON-RPC 2.0 section 4) up to its params: the same for every receiver. */
export const requestHead = (method: string): string => `{"jsonrpc":"2.0","method":${JSON.stringify(method)},"params":`;
/** A server → client request (JSON-RPC 2.0 section 4); `params` is already JSON text so callers can build it cheaply. */
export const encodeRequest = (method: string, paramsJson: string, id: number): string => `${requestHead(method)}${paramsJson},"id":${id}}`;

// ---- dispatch ----

/** What a method returns: a result (plus effects to run after the reply is sent) or an error. */
export type Outcome = { result: unknown; after?: () => void } | { error: RpcError };
/**
 * params: null only for the methods a dispatch lets through with `nullParams`. A method that must
 * wait (for shared state on another machine, docs/cluster.md#metronome) returns a promise; every
 * other method answers at once, and a frame of such methods is answered synchronously.
 */
export type Method<C> = (params: RpcParams | null | undefined, ctx: C) => Outcome | Promise<Outcome>;
/** A method that always answers at once. */
export type SyncMethod<C> = (params: RpcParams | null | undefined, ctx: C) => Outcome;

/** A peer's answer to one of our requests (a frame with `result` or `error` and no `method`). */
export type PeerResponse = Extract<Incoming, { kind: "response" }>;

export interface DispatchOptions<C> {
  /** Methods that take `"params": null` (passed on as null); for every other method it is an Invalid Request. */
  nullParams?: ReadonlySet<string>;
  /** Sees each peer response (never answered, section 5). */
  onResponse?(response: PeerResponse, ctx: C): void;
}

export interface DispatchResult {
  /** The text to send back, or null when nothing is due (notifications, peer responses, section 6). */
  reply: string | null;
  /** Side effects (server requests to other members…) to run once the reply has been sent. */
  after: Array<() => void>;
  /** JSON-RPC error objects in the reply (for the protocol's error counter). */
  errors: number;
}

/**
 * Invalid Request exactly as the specification's examples write it (JSON-RPC 2.0 section 7), without a `data` member:
 * clients and tests compare it byte for byte. (Invalid params keeps its `data`: there the spec shows
 * no example and the field name is what a client author needs.)
 */
const INVALID_REQUEST: RpcError = rpcError(RpcCode.invalidRequest);

/** Largest batch handled; a longer one is refused as a whole (documented; the spec sets no limit). */
export const MAX_BATCH = 100;

type Reply = string | null;

/** The reply text of one call, once its outcome is known. */
function answer(id: RpcId | undefined, outcome: Outcome, out: DispatchResult): Reply {
  if ("result" in outcome && outcome.after) out.after.push(outcome.after);
  // JSON-RPC 2.0 section 4.1: a notification is never answered, not even with an error.
  if (id === undefined) return null;
  if ("error" in outcome) {
    out.errors++;
    return encodeError(id, outcome.error);
  }
  return encodeResult(id, outcome.result);
}

function run<C>(item: Incoming, methods: ReadonlyMap<string, Method<C>>, ctx: C, out: DispatchResult, opts: DispatchOptions<C>): Reply | Promise<Reply> {
  switch (item.kind) {
    case "response":
      opts.onResponse?.(item, ctx);
      return null; // JSON-RPC 2.0 section 5: a response is never answered
    case "invalid":
      out.errors++;
      return encodeError(item.id, INVALID_REQUEST);
  }
  const id = item.kind === "request" ? item.id : undefined;
  const method = methods.get(item.method);
  const outcome = method ? method(item.params, ctx) : { error: rpcError(RpcCode.methodNotFound) };
  return outcome instanceof Promise ? outcome.then((o) => answer(id, o, out)) : answer(id, outcome, out);
}

/**
 * Handle one frame: parse, run every call in order, and build the reply (JSON-RPC 2.0 sections 5
 * and 6). Synchronous unless a method waits; then the calls of a batch after it wait too (a call
 * may depend on an earlier one: get_id, then create_group), and the reply comes when all are done.
 */
export function dispatch<C>(text: string, methods: ReadonlyMap<string, SyncMethod<C>>, ctx: C, opts?: DispatchOptions<C>): DispatchResult;
export function dispatch<C>(text: string, methods: ReadonlyMap<string, Method<C>>, ctx: C, opts?: DispatchOptions<C>): DispatchResult | Promise<DispatchResult>;
export function dispatch<C>(text: string, methods: ReadonlyMap<string, Method<C>>, ctx: C, opts: DispatchOptions<C> = {}): DispatchResult | Promise<DispatchResult> {
  const parsed = parse(text, opts.nullParams);
  const out: DispatchResult = { reply: null, after: [], errors: 0 };
  const fail = (error: RpcError) => {
    out.errors++;
    out.reply = encodeError(null, error);
    return out;
  };
  switch (parsed.kind) {
    case "parse-error":
      return fail(rpcError(RpcCode.parseError));
    case "empty-batch":
      return fail(INVALID_REQUEST);
    case "single": {
      const r = run(parsed.item, methods, ctx, out, opts);
      if (r instanceof Promise) return r.then((reply) => ((out.reply = reply), out));
      out.reply = r;
      return out;
    }
    case "batch": {
      const items = parsed.items;
      if (items.length > MAX_BATCH) return fail(INVALID_REQUEST);
      const replies: string[] = [];
      // JSON-RPC 2.0 section 6: a batch with nothing to answer (all notifications) gets no reply at all.
      const done = () => ((out.reply = replies.length ? `[${replies.join(",")}]` : null), out);
      for (let i = 0; i < items.length; i++) {
        const r = run(items[i]!, methods, ctx, out, opts);
        if (r instanceof Promise) return rest(r, i + 1);
        if (r !== null) replies.push(r);
      }
      return done();
      // From the first call that waits on, one call at a time, in order.
      async function rest(first: Promise<Reply>, from: number): Promise<DispatchResult> {
        const r = await first;
        if (r !== null) replies.push(r);
        for (let i = from; i < items.length; i++) {
          const next = await run(items[i]!, methods, ctx, out, opts);
          if (next !== null) replies.push(next);
        }
        return done();
      }
    }
  }
}

/**
 * How many calls a frame holds: the elements of a batch, else one. Only a frame that starts as an
 * array is parsed here (a batch is parsed twice; a single call, nearly all traffic, never is).
 */
export function callCount(text: string): number {
  let i = 0;
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9 || text.charCodeAt(i) === 10 || text.charCodeAt(i) === 13)) i++;
  if (text.charCodeAt(i) !== 91) return 1; // '['
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? Math.max(1, v.length) : 1;
  } catch {
    return 1;
  }
}
