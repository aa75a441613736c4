// Fuzzing the /mediator command codec (docs/buzzer.md#commands-and-replies, #errors, #the-game,
// #phones-as-buzzers): parse() never throws and gives a command of the grammar with in-range
// fields, or an error of the original shape with a documented type, message and cause; every
// valid command parses to what was sent; names are shown normalised (docs/buzzer.md#the-game).
//
// The grammar is a table (COMMANDS): a new command is one more entry, its generator and what it
// must parse to.
import { describe, expect, test } from "bun:test";
import { encode, MAX_NAME_CHARS, normalizeName, parse, type Command } from "../../../src/protocols/buzzer/codec.ts";
import type { ErrorReply } from "../../../src/protocols/buzzer/errors.ts";
import { check, fc, frames, oddString } from "./fuzz.ts";

/** Error types of docs/buzzer.md#errors, and the fields an invalid_data_type may name. */
const ERRORS = new Set(["connect", "invalid_json", "unknown_command", "invalid_data_type", "forbidden", "phone", "rate_limited"]);
const FIELDS = new Set(["pool", "buzzer", "color", "command", "list", "name", "phone_id", "client_ts", "previous"]);

const byte = fc.integer({ min: 0, max: 255 });
const pool = fc.oneof(fc.constantFrom("/dev/ttyACM0", "/dev/input/event3", "phones", "/dev/serial/by-id/usb-x#v2"), fc.string({ minLength: 1, maxLength: 30 }));
const ms = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }).map((x) => (x === 0 ? 0 : x)); // JSON has no -0
const phoneId = fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/);
/** Names with the characters the normaliser exists for: combining marks, bidi controls, odd spaces. */
const nameText = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.array(fc.constantFrom("e", "\u0301", "\u202e", "\u2066", " ", "\t", "\u00a0", "\u200b", "\u200d", "👍", "\u0000", "A", "Ω", "\u2028", "\u3000", "\ufeff", "ﬁ"), { maxLength: 40 }).map((a) => a.join("")),
);

interface Entry {
  wire: Record<string, unknown>;
  /** What parse must return, or null when the name leaves nothing visible (then: an error naming the field). */
  expect: Command | null;
}
const COMMANDS: Record<string, fc.Arbitrary<Entry>> = {
  list_buzzers: fc.constant({ wire: { list: "buzzers" }, expect: { kind: "list_buzzers" } }),
  list_pools: fc.constant({ wire: { list: "pools" }, expect: { kind: "list_pools" } }),
  list_round: fc.constant({ wire: { list: "round" }, expect: { kind: "list_round" } }),
  connect: pool.map((p) => ({ wire: { command: "connect", pool: p }, expect: { kind: "connect", pool: p } })),
  disconnect: pool.map((p) => ({ wire: { command: "disconnect", pool: p }, expect: { kind: "disconnect", pool: p } })),
  set_color: fc.tuple(pool, byte, byte, byte, byte).map(([p, b, r, g, bl]) => ({ wire: { command: "set_color", pool: p, buzzer: b, color: [r, g, bl] }, expect: { kind: "set_color", pool: p, buzzer: b, color: [r, g, bl] } })),
  arm: fc.constant({ wire: { command: "arm" }, expect: { kind: "arm" } }),
  reset: fc.constant({ wire: { command: "reset" }, expect: { kind: "reset" } }),
  set_name: fc.tuple(pool, byte, fc.option(nameText)).map(([p, b, n]) => ({ wire: { command: "set_name", pool: p, buzzer: b, name: n }, expect: { kind: "set_name", pool: p, buzzer: b, name: n === null ? null : normalizeName(n) } })),
  phone_join: fc.tuple(nameText, fc.option(phoneId)).map(([n, id]) => {
    const name = normalizeName(n);
    return { wire: { command: "phone_join", name: n, phone_id: id }, expect: name === null ? null : { kind: "phone_join", name, phoneId: id } };
  }),
  sync_time: fc.tuple(ms, fc.option(fc.record({ client_ts: ms, server_recv_ts: ms, server_send_ts: ms, client_recv_ts: ms }))).map(([t, prev]) => ({
    wire: { command: "sync_time", client_ts: t, previous: prev },
    expect: { kind: "sync_time", clientTs: t, previous: prev },
  })),
  press: ms.map((t) => ({ wire: { command: "press", client_ts: t }, expect: { kind: "press", clientTs: t } })),
};
const valid = fc.oneof(...Object.values(COMMANDS));

const isByte = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 255;
const finite = (v: unknown) => typeof v === "number" && Number.isFinite(v);

/** A command's fields are what the grammar allows. */
function wellTyped(c: Command): void {
  switch (c.kind) {
    case "connect":
    case "disconnect":
      expect(typeof c.pool === "string" && c.pool.length > 0).toBe(true);
      break;
    case "set_color":
      expect(isByte(c.buzzer) && c.color.length === 3 && c.color.every(isByte)).toBe(true);
      break;
    case "set_name":
      expect(isByte(c.buzzer) && c.pool.length > 0).toBe(true);
      if (c.name !== null) expect(normalizeName(c.name)).toBe(c.name);
      break;
    case "phone_join":
      expect(normalizeName(c.name)).toBe(c.name);
      expect(c.phoneId === null || /^[A-Za-z0-9_-]{16,64}$/.test(c.phoneId)).toBe(true);
      break;
    case "sync_time":
      expect(finite(c.clientTs)).toBe(true);
      if (c.previous) expect(Object.values(c.previous).every(finite)).toBe(true);
      break;
    case "press":
      expect(finite(c.clientTs)).toBe(true);
      break;
    default:
      expect(["list_buzzers", "list_pools", "list_round", "arm", "reset"]).toContain(c.kind);
  }
}

/** An error is the original shape with a documented type; the frame or the field is its cause. */
function documentedError(raw: string, e: ErrorReply): void {
  expect(ERRORS.has(e.error)).toBe(true);
  expect(Object.keys(JSON.parse(encode.error(e)))).toEqual(["error", "message", "cause"]);
  if (e.error === "invalid_json" || e.error === "unknown_command") expect(e).toEqual({ error: e.error, message: null, cause: raw });
  if (e.error === "invalid_data_type") {
    expect(FIELDS.has(e.cause!)).toBe(true);
    expect(typeof e.message).toBe("string");
  }
}

describe("mediator codec fuzz", () => {
  test("any text and near-valid commands: a well-typed command or a documented error", () => {
    check("buzzer parse", frames(valid.map((e) => e.wire)), (raw) => {
      const r = parse(raw);
      if ("kind" in r) wellTyped(r);
      else documentedError(raw, r);
      // invalid_json exactly when the frame is not JSON.
      let json = true;
      try {
        JSON.parse(raw);
      } catch {
        json = false;
      }
      expect(!("kind" in r) && r.error === "invalid_json").toBe(!json);
    }, { runs: 1500, ms: 800 });
  });

  test("every valid command parses to what was sent", () => {
    check("buzzer round trip", valid, ({ wire, expect: want }) => {
      const r = parse(JSON.stringify(wire));
      if (want) expect(r).toEqual(want);
      else expect(r).toMatchObject({ error: "invalid_data_type", cause: "name" });
    }, { runs: 1500 });
  });

  test("names: normalised once is normalised for good, short, one line, nothing hidden", () => {
    check("buzzer names", fc.oneof(nameText, oddString), (raw) => {
      const n = normalizeName(raw);
      if (n === null) return;
      expect(normalizeName(n)).toBe(n);
      expect([...n].length).toBeLessThanOrEqual(MAX_NAME_CHARS);
      expect(n).toBe(n.trim());
      expect(/[\p{Cc}\u202A-\u202E\u2066-\u2069\u2028\u2029]|\s\s/u.test(n)).toBe(false);
    }, { runs: 2000 });
  });
});
