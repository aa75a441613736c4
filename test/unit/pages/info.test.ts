// Which base URLs /api/info gives phones (docs/pages.md#the-info-feed), from the listen address
// and this machine's interfaces.
import { describe, expect, test } from "bun:test";
import type { NetworkInterfaceInfo } from "node:os";
import { baseUrls } from "../../../src/pages/info.ts";

const v4 = (address: string, internal = false): NetworkInterfaceInfo => ({ address, family: "IPv4", internal, netmask: "255.255.255.0", mac: "00:00:00:00:00:00", cidr: null });
const v6 = (address: string): NetworkInterfaceInfo => ({ address, family: "IPv6", internal: false, netmask: "ffff::", mac: "00:00:00:00:00:00", cidr: null, scopeid: 0 });
const laptop = { lo: [v4("127.0.0.1", true)], docker0: [v4("172.17.0.1")], wlan0: [v6("fe80::1"), v4("169.254.3.4"), v4("192.168.1.20")], eth0: [v4("10.0.0.7")] };

describe("baseUrls", () => {
  test("wildcard host: every non-internal IPv4, physical interfaces first, link-local left out", () => {
    for (const host of ["0.0.0.0", "::", ""]) {
      expect(baseUrls(host, 8080, "http", laptop)).toEqual({ urls: ["http://192.168.1.20:8080", "http://10.0.0.7:8080", "http://172.17.0.1:8080"], lan: true });
    }
  });

  test("wildcard host on a machine without a network: loopback, marked not reachable from other devices", () => {
    expect(baseUrls("0.0.0.0", 8080, "http", { lo: [v4("127.0.0.1", true)] })).toEqual({ urls: ["http://127.0.0.1:8080"], lan: false });
  });

  test("a specific --host is the one URL; loopback is not LAN; IPv6 goes in brackets; the scheme and port are kept", () => {
    expect(baseUrls("192.168.1.20", 9000, "https", laptop)).toEqual({ urls: ["https://192.168.1.20:9000"], lan: true });
    expect(baseUrls("127.0.0.1", 8080, "http", laptop)).toEqual({ urls: ["http://127.0.0.1:8080"], lan: false });
    expect(baseUrls("::1", 8080, "http", laptop)).toEqual({ urls: ["http://[::1]:8080"], lan: false });
    expect(baseUrls("fd00::2", 8080, "http", laptop)).toEqual({ urls: ["http://[fd00::2]:8080"], lan: true });
    expect(baseUrls("kiosk.local", 8080, "http", laptop)).toEqual({ urls: ["http://kiosk.local:8080"], lan: true });
    expect(baseUrls("localhost", 8080, "http", laptop)).toEqual({ urls: ["http://localhost:8080"], lan: false });
  });
});
