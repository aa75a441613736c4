// The clicker's caps and the rate limit's promise against the real server (docs/clicker.md#caps,
// docs/common.md#rate-limit): new secrets per client address per minute, ids per LISTEN (and in the
// gaps feed), ids issued again once the id space is nearly used up (never a 1011), and a clicker
// that was offline replaying 3000 stored scores at once with the defaults: every one stored and
// acknowledged, in order.
import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { openLocalStore } from "../../../src/store/db.ts";
import { DB_FILE } from "../../../src/store/db.ts";
import { migrations } from "../../../src/store/migrations.ts";
import { silentLogger } from "../../../src/log.ts";
import { register, take } from "../../helpers/clients/clicker.ts";
import { bootServer, tempDir, type TestServer } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});
async function server(overrides: Parameters<typeof bootServer>[0], dataDir?: string): Promise<TestServer> {
  const s = await bootServer(overrides, { dataDir });
  cleanup.push(() => s.stop());
  return s;
}
async function open(s: TestServer, headers?: Record<string, string>): Promise<TestClient> {
  const c = await TestClient.open(s.ws("/ws"), { headers });
  cleanup.push(() => c.close());
  return c;
}
const ids = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1).padStart(6, "0")).join(",");

describe("new secrets per client address per minute (--clicker-secrets-per-ip-per-min)", () => {
  test("past it REGISTER without a known secret gets ERROR too_many_new_ids and the socket stays; a known secret always registers", async () => {
    const s = await server({ clickerSecretsPerIpPerMin: 3 });
    const c = await open(s);
    const first = await register(c);
    await register(await open(s));
    await register(await open(s));
    c.send("REGISTER");
    expect(await c.next()).toMatch(/^ERROR too_many_new_ids too many new ids from this address: try again in \d+ s, or send your secret$/);
    expect(c.closed).toBeNull();
    const again = await open(s);
    expect(await register(again, `REGISTER ${first.secret}`)).toEqual(first);
  });

  test("behind a trusted proxy each forwarded client has its own share", async () => {
    const s = await server({ clickerSecretsPerIpPerMin: 1, trustedProxies: ["127.0.0.1"] });
    const a = await open(s, { "x-forwarded-for": "198.51.100.1" });
    await register(a);
    a.send("REGISTER");
    expect(await a.next()).toMatch(/^ERROR too_many_new_ids /);
    await register(await open(s, { "x-forwarded-for": "198.51.100.2" }));
  });
});

describe("ids per LISTEN (--clicker-ids-per-listen)", () => {
  test("256 by default: 256 ids are a LISTEN, 257 are bad_arguments; the gaps feed takes as many", async () => {
    const s = await server({});
    const c = await open(s);
    c.send(`LISTEN ${ids(256)}`);
    expect(await c.next()).toBe("CONNECT");
    c.send(`SUBSCRIBE ${ids(257)}`);
    expect(await c.next()).toBe("ERROR bad_arguments at most 256 ids at once");
    c.send(`LISTEN ${ids(9299)}`); // what one measured client sent 45 times a second
    expect(await c.next()).toBe("ERROR bad_arguments at most 256 ids at once");
    expect(c.closed).toBeNull();
    expect((await fetch(`${s.http}/api/clicker/gaps?ids=${ids(256)}`)).status).toBe(200);
    const r = await fetch(`${s.http}/api/clicker/gaps?ids=${ids(257)}`);
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ error: "bad_ids", message: "at most 256 ids at once" });
  });

  test("the flag sets it", async () => {
    const s = await server({ clickerIdsPerListen: 2 });
    const c = await open(s);
    c.send("LISTEN 000001 000002 000003");
    expect(await c.next()).toBe("ERROR bad_arguments at most 2 ids at once");
  });
});

describe("ids once the id space is nearly used up", () => {
  test("989,999 of 999,999 issued: a new secret gets the id unused longest that no socket holds; the secret that had it gets a fresh id; never a 1011", async () => {
    // The data dir of a server that has issued 99% of its ids: ids 000001.. in order of last use,
    // the first three with secrets this test knows, 000002 with a stored score.
    const dir = tempDir("switchboard-clicker-full-");
    const secret = (i: number) => i.toString(16).padStart(32, "a");
    const hash = (x: string) => createHash("sha256").update(x).digest("hex");
    const seed = openLocalStore(dir, silentLogger, migrations);
    seed.db.exec("PRAGMA synchronous = OFF");
    seed.db.exec(`WITH RECURSIVE n(i) AS (SELECT 4 UNION ALL SELECT i + 1 FROM n WHERE i < 989999)
      INSERT INTO clicker_senders (id, secret_hash, last_used_at) SELECT printf('%06d', i), 'unknown-' || i, i FROM n`);
    const known = seed.db.query("INSERT INTO clicker_senders (id, secret_hash, last_used_at) VALUES (?, ?, ?)");
    for (const i of [1, 2, 3]) known.run(String(i).padStart(6, "0"), hash(secret(i)), i);
    seed.db.query("INSERT INTO clicker_latest (sender_id, ts, score) VALUES ('000002', 5, 9)").run();
    seed.close();

    const s = await server({}, dir);
    cleanup.push(() => import("node:fs").then((fs) => fs.rmSync(dir, { recursive: true, force: true })));
    const inUse = await open(s);
    expect(await register(inUse, `REGISTER ${secret(1)}`)).toEqual({ id: "000001", secret: secret(1) }); // unused longest, but connected
    const fresh = await open(s);
    const got = await register(fresh);
    expect(got.id).toBe("000002"); // the next unused longest
    const board = await open(s);
    board.send("LISTEN 000002");
    board.send("LISTEN 999998"); // its reply follows whatever the first LISTEN's catch-up held
    expect(await take(board, 2)).toEqual(["CONNECT 000002", "CONNECT"]); // 000002's old score went with its old secret
    const old = await open(s);
    const back = await register(old, `REGISTER ${secret(2)}`);
    expect(back.id).toBe("000003"); // a fresh id for the invalidated secret, as the original protocol allows
    for (const c of [inUse, fresh, old]) expect(c.closed).toBeNull();
    expect(await register(await open(s), `REGISTER ${got.secret}`)).toEqual(got);
  }, 30_000);
});

describe("the rate limit's promise to a clicker that was offline (defaults)", () => {
  test("draft-1: 3000 stored SCOREs sent at once get 3000 SCORED, in order, and all are stored", async () => {
    const s = await server({});
    const c = await open(s);
    const { id } = await register(c);
    const N = 3000;
    for (let i = 0; i < N; i++) c.send(`SCORE ${i} 1`);
    // 400 at once, then 200 a second: about 13 s.
    const replies = await take(c, N, 20_000);
    expect(replies).toEqual(Array.from({ length: N }, (_, i) => `SCORED ${i}`));
    expect(c.closed).toBeNull();
    const db = new Database(join(s.dataDir, DB_FILE), { readonly: true });
    try {
      expect(db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM clicker_scores WHERE sender_id = ?").get(id)!.n).toBe(N);
    } finally {
      db.close();
    }
  }, 40_000);
});
