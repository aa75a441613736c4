// The client's address (docs/access.md#behind-a-reverse-proxy). Directly connected clients are
// their TCP peer. Behind a reverse proxy every request comes from the proxy, so a peer listed in
// --trusted-proxies is asked who it forwarded for: the right-most X-Forwarded-For entry that is not
// itself a trusted proxy (entries to its left were written by the client and prove nothing).
// Every per-IP rule (connection caps, the auth throttle, session caps) uses this address. Pure.

/** An IPv4 or IPv6 address as 16 bytes (IPv4 as ::ffff:a.b.c.d), or null if it is not one. */
export function parseIp(text: string): Uint8Array | null {
  let s = text.trim();
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const b = v4.slice(1).map(Number);
    if (b.some((n) => n > 255)) return null;
    return Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...b]);
  }
  if (!s.includes(":")) return null;
  const tail4 = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  let groups: number[] = [];
  if (tail4) {
    const four = parseIp(tail4[2]!);
    if (!four) return null;
    s = tail4[1]! + ((four[12]! << 8) | four[13]!).toString(16) + ":" + ((four[14]! << 8) | four[15]!).toString(16);
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const part = (h: string) => (h === "" ? [] : h.split(":"));
  const [head, tail] = [part(halves[0]!), halves.length === 2 ? part(halves[1]!) : null];
  const hex = (g: string) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN);
  if (tail === null) {
    if (head.length !== 8) return null;
    groups = head.map(hex);
  } else {
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return null;
    groups = [...head.map(hex), ...Array(fill).fill(0), ...tail.map(hex)];
  }
  if (groups.some((g) => Number.isNaN(g))) return null;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => ((out[2 * i] = g >> 8), (out[2 * i + 1] = g & 0xff)));
  return out;
}

/** A network: an address and a prefix length (IPv4 prefixes count within the mapped range). */
interface Net {
  bytes: Uint8Array;
  bits: number;
}

/** "10.0.0.0/8", "192.168.1.5", "fd00::/8"; null if it is not one. */
export function parseNet(text: string): Net | null {
  const [addr, len] = text.split("/");
  const bytes = parseIp(addr!);
  if (!bytes) return null;
  const isV4 = !addr!.includes(":");
  const max = isV4 ? 32 : 128;
  const n = len === undefined ? max : Number(len);
  if (!Number.isInteger(n) || n < 0 || n > max) return null;
  return { bytes, bits: isV4 ? 96 + n : n };
}

function inNet(ip: Uint8Array, net: Net): boolean {
  for (let bit = 0; bit < net.bits; bit += 8) {
    const i = bit >> 3;
    const left = net.bits - bit;
    const mask = left >= 8 ? 0xff : (0xff << (8 - left)) & 0xff;
    if ((ip[i]! & mask) !== (net.bytes[i]! & mask)) return false;
  }
  return true;
}

export class ClientAddresses {
  private readonly nets: Net[];

  /** `trusted`: addresses or CIDR networks of reverse proxies (--trusted-proxies). */
  constructor(trusted: readonly string[]) {
    this.nets = trusted.map((t) => {
      const n = parseNet(t);
      if (!n) throw new Error(`not an address or network: ${JSON.stringify(t)}`);
      return n;
    });
  }

  private trusted(addr: string): boolean {
    const ip = parseIp(addr);
    return ip !== null && this.nets.some((n) => inNet(ip, n));
  }

  /** The client's address for a request whose TCP peer is `peer`. */
  of(peer: string, forwardedFor: string | null): string {
    if (this.nets.length === 0 || !forwardedFor || !this.trusted(peer)) return peer;
    const hops = forwardedFor.split(",").map((h) => h.trim()).filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      if (parseIp(hop) === null) return peer; // garbage: trust nothing of it
      if (!this.trusted(hop)) return hop;
    }
    return hops[0] ?? peer;
  }
}

/** Whether a list of --trusted-proxies entries is valid; the first bad entry otherwise. */
export const badNet = (entries: readonly string[]): string | null => entries.find((e) => parseNet(e) === null) ?? null;
