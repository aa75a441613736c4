// /api/info's operator flag (docs/pages.md#the-info-feed): a page learns from it whether its
// browser has operator rights, by the same rules as the WebSockets it opens (docs/access.md).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { OPERATOR_COOKIE } from "../../../src/access/operator.ts";
import { bootServer, TEST_OPERATOR_TOKEN, type TestServer } from "../../helpers/server.ts";

let srv: TestServer;
beforeAll(async () => {
  srv = await bootServer();
});
afterAll(() => srv.stop());

const operator = async (headers: Record<string, string> = {}) => {
  const r = await fetch(srv.http + "/api/info", { headers });
  expect(r.headers.get("cache-control")).toBe("no-store");
  return ((await r.json()) as { operator: boolean }).operator;
};

test("false for anyone, true with the operator cookie or a bearer token; the cookie counts only from this server's own pages", async () => {
  const cookie = `${OPERATOR_COOKIE}=${TEST_OPERATOR_TOKEN}`;
  expect(await operator()).toBe(false);
  expect(await operator({ cookie })).toBe(true);
  expect(await operator({ cookie, origin: srv.http })).toBe(true);
  expect(await operator({ cookie, origin: "http://evil.example" })).toBe(false);
  expect(await operator({ cookie: `${OPERATOR_COOKIE}=wrong` })).toBe(false);
  expect(await operator({ authorization: `Bearer ${TEST_OPERATOR_TOKEN}` })).toBe(true);
  expect(await operator({ authorization: "Bearer wrong", cookie })).toBe(false);
});

test("the console URL's redirect gives a browser the cookie that /api/info then recognises", async () => {
  const r = await fetch(`${srv.http}/quiz?token=${TEST_OPERATOR_TOKEN}`, { redirect: "manual" });
  expect(r.status).toBe(303);
  expect(r.headers.get("location")).toBe("/quiz");
  const set = r.headers.get("set-cookie")!;
  expect(await operator({ cookie: set.split(";")[0]! })).toBe(true);
});
