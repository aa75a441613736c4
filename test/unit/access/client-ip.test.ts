// The client's address behind trusted reverse proxies (docs/access.md#behind-a-reverse-proxy).
import { describe, expect, test } from "bun:test";
import { badNet, ClientAddresses, parseIp, parseNet } from "../../../src/access/client-ip.ts";
import { openFileLimits } from "../../../src/transport/transport.ts";

describe("addresses and networks", () => {
  test("IPv4, IPv6 (compressed, with an IPv4 tail, bracketed), and what is neither", () => {
    expect(parseIp("10.1.2.3")).toEqual(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 10, 1, 2, 3]));
    expect(parseIp("::ffff:10.1.2.3")).toEqual(parseIp("10.1.2.3"));
    expect(parseIp("[::1]")?.[15]).toBe(1);
    expect(parseIp("fd00::1:2")?.slice(0, 2)).toEqual(Uint8Array.from([0xfd, 0]));
    for (const bad of ["", "1.2.3", "1.2.3.256", "fd00:::1", "1:2:3:4:5:6:7:8:9", "pi", "unknown", "1.2.3.4:80"]) expect(parseIp(bad)).toBeNull();
    expect(parseNet("10.0.0.0/8")?.bits).toBe(104);
    expect(parseNet("fd00::/8")?.bits).toBe(8);
    expect(parseNet("10.0.0.0/33")).toBeNull();
    expect(badNet(["10.0.0.0/8", "::1", "nope"])).toBe("nope");
    expect(badNet(["127.0.0.1"])).toBeNull();
  });
});

describe("the client behind a proxy", () => {
  const a = new ClientAddresses(["127.0.0.1", "10.0.0.0/8", "fd00::/8"]);
  test("no trusted proxies: always the TCP peer, whatever X-Forwarded-For says", () => {
    expect(new ClientAddresses([]).of("203.0.113.9", "198.51.100.1")).toBe("203.0.113.9");
  });
  test("an untrusted peer is the client, even if it sends X-Forwarded-For", () => {
    expect(a.of("203.0.113.9", "198.51.100.1")).toBe("203.0.113.9");
  });
  test("a trusted peer: the right-most entry that is not a trusted proxy", () => {
    expect(a.of("127.0.0.1", "198.51.100.1")).toBe("198.51.100.1");
    expect(a.of("127.0.0.1", "6.6.6.6, 198.51.100.1, 10.0.0.7")).toBe("198.51.100.1"); // 6.6.6.6 is the client's own claim
    expect(a.of("fd00::2", "2001:db8::5")).toBe("2001:db8::5");
    expect(a.of("127.0.0.1", null)).toBe("127.0.0.1");
  });
  test("garbage in the header is not believed", () => {
    expect(a.of("127.0.0.1", "198.51.100.1, <script>")).toBe("127.0.0.1");
    expect(a.of("127.0.0.1", "10.0.0.1, 10.0.0.2")).toBe("10.0.0.1"); // only proxies: the first hop
  });
});

test("open-file limits are read from /proc/self/limits", () => {
  const text = "Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n";
  expect(openFileLimits(() => text)).toEqual({ soft: 1024, hard: 524288 });
  expect(openFileLimits(() => "Max open files unlimited unlimited files")).toEqual({ soft: Infinity, hard: Infinity });
  expect(openFileLimits(() => { throw new Error("no /proc"); })).toBeNull();
});
