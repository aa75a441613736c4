// GET /api/info (docs/pages.md#the-info-feed): where other devices reach this server, the listed
// pages and the endpoints. Public and free of secrets: anyone on the network may read it.
import type { NetworkInterfaceInfo } from "node:os";
import type { Info, InfoEndpoint } from "./lib/api-types.ts";
import type { PageEntry } from "./registry.ts";

/** The public endpoints (docs/common.md#endpoints), with the /healthz key that counts each one's clients. */
export const endpoints: InfoEndpoint[] = [
  { path: "/connect", aliases: ["/metronome"], protocol: "Metronome sync, JSON-RPC 2.0", summary: "Phones in a band clicking on the same instant.", kind: "ws", connections: "metronome", doc: "docs/metronome.md" },
  { path: "/OpenSyncParty/ws", aliases: [], protocol: "OpenSyncParty watch party", summary: "Rooms with a host; play, pause and seek kept in step.", kind: "ws", connections: "syncparty", doc: "docs/syncparty.md" },
  { path: "/ws", aliases: [], protocol: "Clicker score relay, draft-1 and draft-2", summary: "Judging clickers to scoreboards; every score on disk before it is acknowledged.", kind: "ws", connections: "clicker", doc: "docs/clicker.md" },
  { path: "/socket.io/", aliases: [], protocol: "Socket.IO v5 command relay", summary: "Users send commands to monitors; polling and WebSocket.", kind: "ws", connections: "socketio", doc: "docs/socketio.md" },
  { path: "/mediator", aliases: [], protocol: "Quiz-buzzer mediator", summary: "Serial and keyboard buzzers to every client.", kind: "ws", connections: "buzzer", doc: "docs/buzzer.md" },
  { path: "/healthz", aliases: [], protocol: "HTTP, JSON", summary: "Liveness and connections per protocol.", kind: "http", connections: null, doc: "docs/common.md" },
  { path: "/metrics", aliases: [], protocol: "HTTP, Prometheus text", summary: "Counters and gauges for monitoring.", kind: "http", connections: null, doc: "docs/common.md" },
  { path: "/api/info", aliases: [], protocol: "HTTP, JSON", summary: "This server's addresses, pages and endpoints.", kind: "http", connections: null, doc: "docs/pages.md" },
];

const WILDCARD = new Set(["", "0.0.0.0", "::", "[::]", "::0"]);
/** Interfaces that are seldom the one phones are on (containers, VMs, VPNs): listed last. */
const VIRTUAL = /^(docker|br-|veth|virbr|vmnet|vboxnet|lxc|lxd|cni|flannel|cali|tun|tap|wg|zt|tailscale|utun)/;

const isLoopback = (host: string) => host === "localhost" || /^127\./.test(host) || host === "::1" || host === "[::1]";

/** A host as it goes in a URL: IPv6 addresses in brackets. */
const urlHost = (host: string) => (host.includes(":") && !host.startsWith("[") ? `[${host}]` : host);

/**
 * The base URLs other devices use, best first. A specific --host is the only one. The wildcard
 * (0.0.0.0, ::) means every non-internal IPv4 address, physical interfaces before virtual
 * ones and link-local (169.254.x) left out; with none, this machine's loopback, marked not LAN.
 */
export function baseUrls(host: string, port: number, scheme: "http" | "https", ifaces: NodeJS.Dict<NetworkInterfaceInfo[]>): { urls: string[]; lan: boolean } {
  const base = (h: string) => `${scheme}://${urlHost(h)}:${port}`;
  if (!WILDCARD.has(host)) return { urls: [base(host.replace(/^\[|\]$/g, ""))], lan: !isLoopback(host) };
  const found: { addr: string; virtual: boolean }[] = [];
  for (const [name, list] of Object.entries(ifaces)) {
    for (const a of list ?? []) {
      if (a.family !== "IPv4" || a.internal || a.address.startsWith("169.254.")) continue;
      found.push({ addr: a.address, virtual: VIRTUAL.test(name) });
    }
  }
  // Stable: interface order as the OS lists it, physical first.
  const ordered = [...found.filter((f) => !f.virtual), ...found.filter((f) => f.virtual)].map((f) => base(f.addr));
  return ordered.length ? { urls: [...new Set(ordered)], lan: true } : { urls: [base("127.0.0.1")], lan: false };
}

export function info(opts: {
  host: string;
  port: number;
  scheme: "http" | "https";
  version: string;
  registry: PageEntry[];
  ifaces: NodeJS.Dict<NetworkInterfaceInfo[]>;
  /** Whether the request asking carries operator rights. */
  operator?: boolean;
}): Info {
  const { urls, lan } = baseUrls(opts.host, opts.port, opts.scheme, opts.ifaces);
  return {
    name: "Switchboard",
    version: opts.version,
    scheme: opts.scheme,
    port: opts.port,
    url: urls[0]!,
    urls,
    lan,
    pages: opts.registry.filter((p) => p.listed !== false).map(({ path, title, summary }) => ({ path, title, summary })),
    endpoints,
    operator: opts.operator ?? false,
  };
}
