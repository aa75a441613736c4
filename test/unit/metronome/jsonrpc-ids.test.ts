// Ids beyond 2^53 are echoed exactly however malformed the request around them is
// (docs/metronome.md#json-rpc-errors). Found by the codec fuzzing (test/unit/fuzz/jsonrpc.test.ts):
// an Invalid Request without a "jsonrpc" member had its id rounded by JSON.parse.
import { describe, expect, test } from "bun:test";
import { dispatch, parse, RawNumber } from "../../../src/protocols/metronome/codec.ts";

const big = "100000000000000000000001"; // JSON.parse alone reads 1.0000000000000001e+23
const reply = (text: string) => dispatch(text, new Map(), null).reply;
const invalid = (id: string) => `{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":${id}}`;

describe("JSON-RPC ids beyond 2^53", () => {
  test("an Invalid Request without jsonrpc (or with it misspelled) echoes the id as written", () => {
    expect(reply(`{"method":"x","id":${big}}`)).toBe(invalid(big));
    expect(reply(`{"#sonrpc":"2.0","method":"x","id":-${big}}`)).toBe(invalid(`-${big}`));
    expect(reply(`[{"method":"x","id":${big}},{"jsonrpc":"2.0","method":"x","id":1}]`)).toBe(
      `[${invalid(big)},{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":1}]`,
    );
  });

  test('an "id" inside params keeps JSON.parse\'s number; only the request\'s own id is kept as text', () => {
    const p = parse(`{"jsonrpc":"2.0","method":"x","params":{"id":${big},"jsonrpc":"2.0"},"id":${big}}`);
    expect(p.kind === "single" && p.item.kind === "request" && p.item).toMatchObject({ id: new RawNumber(big), params: { id: Number(big) } });
  });
});
