// The pure access rules (docs/access.md): device globs, own-origin and allowed-origin decisions,
// the operator's bearer header and cookie.
import { describe, expect, test } from "bun:test";
import { Globs, globRegExp, isPlainPath } from "../../../src/access/glob.ts";
import { cookieValue, OperatorAuth } from "../../../src/access/operator.ts";
import { isOwnOrigin, OriginPolicy } from "../../../src/access/origin.ts";
import { sameSecret } from "../../../src/access/secret.ts";

const req = (headers: Record<string, string>) => new Request("http://sb.local:8080/mediator", { headers });

describe("device globs", () => {
  test("* and ? stay inside one path component; classes work", () => {
    const g = new Globs(["/dev/serial/by-id/*", "/dev/ttyACM*", "/dev/ttyUSB?", "/dev/tty[SA]0"]);
    expect(g.matches("/dev/serial/by-id/usb-Arduino_Uno-if00")).toBe(true);
    expect(g.matches("/dev/ttyACM12")).toBe(true);
    expect(g.matches("/dev/ttyUSB1")).toBe(true);
    expect(g.matches("/dev/ttyUSB12")).toBe(false);
    expect(g.matches("/dev/ttyS0")).toBe(true);
    expect(g.matches("/dev/ttyB0")).toBe(false);
    expect(g.matches("/dev/serial/by-id/a/b")).toBe(false);
    expect(g.matches("/dev/pts/3")).toBe(false);
    expect(g.matches("/dev/input/event3")).toBe(false);
  });

  test("only absolute, normal paths can match: no .. escapes, no relative paths, no NUL", () => {
    const g = new Globs(["/dev/serial/by-id/*", "/dev/ttyACM*"]);
    expect(g.matches("/dev/serial/by-id/../../pts/3")).toBe(false);
    expect(g.matches("/dev/serial/by-id/..")).toBe(false);
    expect(g.matches("/dev//ttyACM0")).toBe(false);
    expect(g.matches("dev/ttyACM0")).toBe(false);
    expect(g.matches("/dev/ttyACM0\0")).toBe(false);
    expect(isPlainPath("/dev/ttyACM0")).toBe(true);
  });

  test("regex specials in patterns are literal", () => {
    expect(globRegExp("/dev/a.b+(c)").test("/dev/a.b+(c)")).toBe(true);
    expect(globRegExp("/dev/a.b").test("/dev/aXb")).toBe(false);
    expect(globRegExp("/dev/[!0]x").test("/dev/1x")).toBe(true);
    expect(globRegExp("/dev/[!0]x").test("/dev/0x")).toBe(false);
  });

  test("expand lists what exists, folder by folder, sorted and without duplicates", () => {
    const tree: Record<string, string[]> = { "/": ["dev"], "/dev": ["ttyACM0", "ttyACM1", "null", "serial"], "/dev/serial": ["by-id"], "/dev/serial/by-id": ["usb-a", "usb-b"] };
    const g = new Globs(["/dev/ttyACM*", "/dev/serial/by-id/*", "/dev/ttyACM0", "/dev/missing", "/dev/*/by-id/usb-a"]);
    expect(g.expand((d) => tree[d] ?? [])).toEqual(["/dev/serial/by-id/usb-a", "/dev/serial/by-id/usb-b", "/dev/ttyACM0", "/dev/ttyACM1"]);
  });
});

describe("origins", () => {
  test("own origin: no Origin, or the host and port the request came to", () => {
    expect(isOwnOrigin(req({ host: "sb.local:8080" }))).toBe(true);
    expect(isOwnOrigin(req({ host: "sb.local:8080", origin: "http://sb.local:8080" }))).toBe(true);
    expect(isOwnOrigin(req({ host: "sb.local:8080", origin: "https://SB.local:8080" }))).toBe(true);
    expect(isOwnOrigin(req({ host: "sb.local:8080", origin: "http://sb.local:9090" }))).toBe(false);
    expect(isOwnOrigin(req({ host: "sb.local:8080", origin: "http://evil.example" }))).toBe(false);
    expect(isOwnOrigin(req({ host: "sb.local:8080", origin: "null" }))).toBe(false);
    expect(isOwnOrigin(req({ host: "sb.local:8080", origin: "Espruino" }))).toBe(false);
  });

  test("allowed origins: * admits all; a list admits its entries, own origin and no Origin", () => {
    expect(new OriginPolicy(["*"]).admits(req({ host: "sb.local:8080", origin: "http://evil.example" }))).toBe(true);
    const p = new OriginPolicy(["https://jellyfin.example", "Espruino"]);
    expect(p.admits(req({ host: "sb.local:8080", origin: "https://jellyfin.example" }))).toBe(true);
    expect(p.admits(req({ host: "sb.local:8080", origin: "espruino" }))).toBe(true);
    expect(p.admits(req({ host: "sb.local:8080", origin: "https://jellyfin.example.evil" }))).toBe(false);
    expect(p.admits(req({ host: "sb.local:8080", origin: "http://sb.local:8080" }))).toBe(true);
    expect(p.admits(req({ host: "sb.local:8080" }))).toBe(true);
  });
});

describe("operator rights", () => {
  const auth = new OperatorAuth("tok-123");
  test("bearer header: the token grants, anything else does not (and a bad bearer is not rescued by a cookie)", () => {
    expect(auth.grants(req({ host: "sb.local:8080", authorization: "Bearer tok-123" }))).toBe(true);
    expect(auth.grants(req({ host: "sb.local:8080", authorization: "bearer tok-123", origin: "http://evil.example" }))).toBe(true);
    expect(auth.grants(req({ host: "sb.local:8080", authorization: "Bearer tok-12" }))).toBe(false);
    expect(auth.grants(req({ host: "sb.local:8080", authorization: "Basic tok-123" }))).toBe(false);
    expect(auth.grants(req({ host: "sb.local:8080", authorization: "Bearer nope", cookie: "switchboard_operator=tok-123" }))).toBe(false);
  });

  test("the cookie counts only from the server's own origin or without Origin", () => {
    const cookie = "a=1; switchboard_operator=tok-123; b=2";
    expect(auth.grants(req({ host: "sb.local:8080", cookie }))).toBe(true);
    expect(auth.grants(req({ host: "sb.local:8080", cookie, origin: "http://sb.local:8080" }))).toBe(true);
    expect(auth.grants(req({ host: "sb.local:8080", cookie, origin: "http://evil.example" }))).toBe(false);
    expect(auth.grants(req({ host: "sb.local:8080", cookie: "switchboard_operator=wrong" }))).toBe(false);
    expect(auth.grants(req({ host: "sb.local:8080" }))).toBe(false);
  });

  test("cookie attributes; cookie parsing; secret comparison", () => {
    expect(auth.cookie(false)).toBe("switchboard_operator=tok-123; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000");
    expect(auth.cookie(true)).toEndWith("; Secure");
    expect(cookieValue("x=1;  switchboard_operator = v ;y=2", "switchboard_operator")).toBe("v");
    expect(cookieValue(null, "x")).toBeNull();
    expect(sameSecret("abc", "abc")).toBe(true);
    expect(sameSecret("abd", "abc")).toBe(false);
    expect(sameSecret("ab", "abc")).toBe(false);
    expect(sameSecret("", "")).toBe(false);
    expect(sameSecret(undefined, "abc")).toBe(false);
  });
});
