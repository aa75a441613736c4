// The server's info feed, GET /api/info (docs/pages.md#the-info-feed): what a page needs to tell
// people where to point their phones.
import type { Info } from "./api-types.ts";

export type { Info, InfoEndpoint, InfoPage } from "./api-types.ts";

export async function fetchInfo(): Promise<Info> {
  const r = await fetch("/api/info", { cache: "no-store", headers: { accept: "application/json" } });
  if (!r.ok) throw new Error(`/api/info: HTTP ${r.status}`);
  return (await r.json()) as Info;
}

const loopback = (host: string) => host === "localhost" || host.endsWith(".localhost") || /^127\./.test(host) || host === "[::1]";

/**
 * The base URL to give to phones. A page opened through a name or address other devices can use
 * (the LAN address, a proxy's name) keeps it; one opened on this machine (localhost, 127.x)
 * uses the server's LAN URL instead, which is the case /api/info exists for.
 */
export function phoneBase(info: Info, loc: Location = location): string {
  return loopback(loc.hostname) ? info.url : loc.origin;
}

/** Full URL of a page for phones: phoneBase + path. */
export function phoneUrl(info: Info, path: string, loc: Location = location): string {
  return phoneBase(info, loc).replace(/\/$/, "") + path;
}
