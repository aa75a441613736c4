// Bad input on /ws (docs/clicker.md#errors): every malformed line gets its ERROR reply, loses
// nothing, keeps the connection and the registration open, and disturbs no other client.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";
import { register } from "../../helpers/clients/clicker.ts";

describe("clicker /ws: bad input", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await bootServer();
  });
  afterAll(() => s.stop());

  // [frame, code]: the reply must be `ERROR <code> <message>`.
  const table: Array<[string, string]> = [
    ["", "unknown_command"],
    ["HELLO", "unknown_command"],
    ["REGISTERED 000001 x", "unknown_command"],
    [" SCORE 1 1", "unknown_command"],
    ["SCORE", "bad_arguments"],
    ["SCORE 1", "bad_arguments"],
    ["SCORE 1  2", "bad_arguments"],
    ["SCORE 1.5 2", "bad_arguments"],
    ["SCORE 1 1e3", "bad_arguments"],
    ["SCORE 0x10 1", "bad_arguments"],
    ["SCORE +1 1", "bad_arguments"],
    ["SCORE one two", "bad_arguments"],
    ["SCORE 99999999999999999999 1", "bad_arguments"],
    ["REGISTER a b", "bad_arguments"],
    ["LISTEN", "bad_arguments"],
    ["LISTEN , ,", "bad_arguments"],
    ["LISTEN 12345", "bad_arguments"],
    ["LISTEN 000001,abcdef", "bad_arguments"],
  ];

  test("malformed lines, table-driven: error reply, connection open, registration intact", async () => {
    const c = await TestClient.open(s.ws("/ws"));
    const r = await register(c);
    for (const [frame, code] of table) {
      c.send(frame);
      const reply = await c.next();
      expect({ frame, reply: reply.split(" ").slice(0, 2).join(" ") }).toEqual({ frame, reply: `ERROR ${code}` });
      expect(reply).toMatch(/^ERROR [a-z_]+ [\x20-\x7e]+$/);
    }
    expect(c.closed).toBeNull();
    c.send("SCORE 1 1");
    expect(await c.next()).toBe("SCORED 1");
    c.send(`REGISTER ${r.secret}`);
    expect(await c.next()).toBe(`REGISTERED ${r.id} ${r.secret}`);
    c.close();
  });

  test("other clients are not disturbed by a misbehaving one", async () => {
    const good = await TestClient.open(s.ws("/ws"));
    const r = await register(good);
    const bad = await TestClient.open(s.ws("/ws"));
    for (const [frame] of table) bad.send(frame);
    bad.send(new Uint8Array([0xff, 0xfe]));
    good.send("SCORE 9 9");
    expect(await good.next()).toBe("SCORED 9");
    for (let i = 0; i <= table.length; i++) expect(await bad.next()).toStartWith("ERROR ");
    bad.send(`LISTEN ${r.id}`);
    expect(await bad.next()).toBe(`CONNECT ${r.id}`);
    expect(await bad.next()).toBe(`SCORE 9 ${r.id} 9`);
    good.close();
    bad.close();
  });
});
