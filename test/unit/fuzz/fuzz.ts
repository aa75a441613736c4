// Shared pieces of the codec fuzzing (property-based, fast-check): a bounded, seeded runner and
// generators of the inputs clients get wrong: arbitrary text, and valid messages with one thing
// changed (a field mutated, dropped or added, a wrong type, a huge number, unicode, truncation).
//
// Every property runs a fixed number of cases with a time cap, from a seed that is fixed unless
// FUZZ_SEED is set, so `npm test` is repeatable. A failure names the seed and how to replay it.
// FUZZ_SCALE=10 runs ten times as many cases (and allows ten times the time) for a longer hunt.
import fc from "fast-check";

export { fc };

const BASE_SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const SCALE = Math.max(0.01, Number(process.env.FUZZ_SCALE ?? 1));

/** A seed of the property's own (FNV-1a of its name mixed with the base seed). */
function seedOf(name: string): number {
  let h = 0x811c9dc5 ^ BASE_SEED;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h | 0;
}

export interface Bounds {
  /** Cases to run (scaled by FUZZ_SCALE). */
  runs?: number;
  /** Stop generating new cases after this long (default 300 ms; all caps together stay under ~13 s, for a slow CI); the cases run so far still count. */
  ms?: number;
}

/**
 * Run one property: `runs` cases or `ms` milliseconds, whichever ends first. On failure the
 * error starts with the seed, the replay command and fast-check's shrunk counterexample.
 */
export function check<T>(name: string, arb: fc.Arbitrary<T>, predicate: (value: T) => void, bounds: Bounds = {}): void {
  const seed = seedOf(name);
  const numRuns = Math.max(1, Math.round((bounds.runs ?? 300) * SCALE));
  const ms = Math.round((bounds.ms ?? 300) * SCALE);
  try {
    fc.assert(fc.property(arb, predicate), { seed, numRuns, interruptAfterTimeLimit: ms, markInterruptAsFailure: false });
  } catch (e) {
    throw failure(name, seed, e);
  }
}

/** check() for a predicate that awaits (a pipeline with async steps). */
export async function checkAsync<T>(name: string, arb: fc.Arbitrary<T>, predicate: (value: T) => Promise<void>, bounds: Bounds = {}): Promise<void> {
  const seed = seedOf(name);
  const numRuns = Math.max(1, Math.round((bounds.runs ?? 300) * SCALE));
  const ms = Math.round((bounds.ms ?? 300) * SCALE);
  try {
    await fc.assert(fc.asyncProperty(arb, predicate), { seed, numRuns, interruptAfterTimeLimit: ms, markInterruptAsFailure: false });
  } catch (e) {
    throw failure(name, seed, e);
  }
}

function failure(name: string, seed: number, e: unknown): Error {
  const why = e instanceof Error ? e.message : String(e);
  // fast-check keeps the predicate's own error (the failed expectation) as the cause.
  const cause = e instanceof Error && e.cause instanceof Error ? `\n${e.cause.message}` : "";
  return new Error(`fuzz property "${name}" failed (seed ${seed}; replay: FUZZ_SEED=${BASE_SEED} bun test test/unit/fuzz)\n${why}${cause}`);
}

// ---- text ----

/** UTF-16 code units, lone surrogates included: what a WebSocket peer cannot send but a bug might. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

/** Any text: ASCII, full Unicode, graphemes, raw code units, control characters. */
export const anyText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "binary-ascii", maxLength: 80 }),
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: codeUnit, maxLength: 40 }),
  fc.json({ maxDepth: 3 }),
);

/** Strings that often break parsers, plus arbitrary ones. */
export const oddString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("", " ", "0", "-0", "007", "1e3", "0x10", "NaN", "null", "\u0000", "\ud800", "\udfff", "é", "e\u0301", "🎵", "\u202e", "\r\n", "a b", "a,b", "__proto__", "constructor"),
  anyText,
  fc.string({ minLength: 200, maxLength: 5000 }).map((s) => s || "x".repeat(300)),
);

/** A raw JSON literal that JSON.stringify never writes (huge, exponent, beyond a double). */
export class RawJson {
  constructor(readonly text: string) {}
}

const hugeNumbers = fc.constantFrom(
  "1e999", "-1e999", "1e-999", "-0.0", "1E2", "123456789012345678901234567890", "-9223372036854775809",
  "9007199254740993", "1.0", "0.1e1", "5e-324",
);

/** A JSON value of the wrong shape, type or size for any field. */
export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -0, -1, 1.5, 2 ** 53 + 2, -(2 ** 63), 1e308, Number.MIN_VALUE, 255, 256, -256, 400, 20, 19.999),
  fc.constantFrom([], {}, [null], [1, 2, 3], [255, 0, 0, 0], { a: 1 }, [[[]]]),
  oddString,
  fc.double(),
  fc.integer(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((n) => new RawJson(String(n))),
  hugeNumbers.map((t) => new RawJson(t)),
  fc.jsonValue({ maxDepth: 2 }),
);

/** JSON text of a value; RawJson nodes are written as their literal text. */
export function toJson(v: unknown): string {
  if (v instanceof RawJson) return v.text;
  if (Array.isArray(v)) return `[${v.map(toJson).join(",")}]`;
  if (typeof v === "object" && v !== null) {
    return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

// ---- near-valid messages ----

type Path = Array<string | number>;

/** Every path to a member of an object or array, up to `depth` levels down. */
function paths(v: unknown, depth = 3, at: Path = []): Path[] {
  if (depth === 0 || typeof v !== "object" || v === null || v instanceof RawJson) return [];
  const out: Path[] = [];
  for (const [k, x] of Object.entries(v)) {
    const p = [...at, Array.isArray(v) ? Number(k) : k];
    out.push(p, ...paths(x, depth - 1, p));
  }
  return out;
}

type Mutation = { op: "set" | "drop" | "add"; pick: number; key: string; value: unknown };

/** A deep copy that keeps RawJson nodes (structuredClone would make them plain objects). */
function clone(v: unknown): unknown {
  if (typeof v !== "object" || v === null || v instanceof RawJson) return v;
  if (Array.isArray(v)) return v.map(clone);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clone(x)]));
}

/** Set an own member, also one named `__proto__` (plain assignment would change the prototype). */
const put = (o: object, k: string | number, value: unknown) => Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });

function mutate(message: object, m: Mutation): unknown {
  const copy = clone(message) as Record<string | number, unknown>;
  if (typeof copy !== "object" || copy === null || copy instanceof RawJson) return m.value; // an earlier mutation left no object
  const all = paths(copy);
  const target = all.length ? all[m.pick % all.length]! : [];
  const parentPath = m.op === "add" ? target : target.slice(0, -1);
  let parent: any = copy;
  for (const k of parentPath) parent = parent?.[k];
  if (typeof parent !== "object" || parent === null) parent = copy;
  const last = target.at(-1);
  if (m.op === "add") put(parent, m.key, m.value);
  else if (last === undefined) return m.value; // nothing inside to change: the whole message is replaced
  else if (m.op === "set") put(parent, last, m.value);
  else if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete parent[last];
  return copy;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom("set", "set", "drop", "add"),
  pick: fc.nat(),
  key: fc.oneof(fc.constantFrom("id", "type", "payload", "command", "pool", "__proto__", "params"), fc.string({ maxLength: 8 })),
  value: oddValue,
});

/** One edit of a text: cut it short, or insert, replace or delete one character. */
export function textEdit(text: string): fc.Arbitrary<string> {
  const at = fc.nat({ max: Math.max(0, text.length) });
  return fc.oneof(
    at.map((i) => text.slice(0, i)),
    fc.tuple(at, codeUnit).map(([i, c]) => text.slice(0, i) + c + text.slice(i)),
    fc.tuple(at, codeUnit).map(([i, c]) => text.slice(0, i) + c + text.slice(i + 1)),
    at.map((i) => text.slice(0, i) + text.slice(i + 1)),
    fc.constant(text + text),
  );
}

/**
 * Frames built from valid messages: the message itself, one member mutated, dropped or added
 * (up to three times over), or its text edited.
 */
export function nearValid(valid: fc.Arbitrary<object>): fc.Arbitrary<string> {
  return fc.oneof(
    valid.map(toJson),
    fc.tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([msg, ms]) => toJson(ms.reduce<unknown>((v, m) => mutate(v as object, m), msg))),
    valid.chain((msg) => textEdit(toJson(msg))),
  );
}

/** Arbitrary text and near-valid frames, about half each. */
export function frames(valid: fc.Arbitrary<object>): fc.Arbitrary<string> {
  return fc.oneof(anyText, nearValid(valid));
}

/** Split `bytes` into chunks at the given cut points (sorted, deduplicated, clamped). */
export function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  return out;
}
