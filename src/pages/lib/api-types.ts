// The shape of GET /api/info (docs/pages.md#the-info-feed). Types only and no DOM, so the server
// (src/pages/info.ts) builds the feed from the same declarations the pages read it with.

export interface InfoPage {
  path: string;
  title: string;
  summary: string;
}

export interface InfoEndpoint {
  path: string;
  /** Other paths that speak the same protocol. */
  aliases: string[];
  protocol: string;
  summary: string;
  /** "ws" for a WebSocket endpoint, "http" for a plain one. */
  kind: "ws" | "http";
  /** Key of /healthz `connections` that counts this endpoint's clients, if any. */
  connections: string | null;
  /** The repository document that describes it. */
  doc: string | null;
}

export interface Info {
  name: "Switchboard";
  version: string;
  /** "http" or "https", as the server listens. */
  scheme: "http" | "https";
  port: number;
  /** Base URL other devices on the network should use, e.g. "http://192.168.1.20:8080". */
  url: string;
  /** Every base URL the server answers on from the network, best first (url is the first). */
  urls: string[];
  /** False when `url` only works on this machine (listening on loopback, or no network). */
  lan: boolean;
  /** Pages listed for visitors (the start page itself is not among them). */
  pages: InfoPage[];
  endpoints: InfoEndpoint[];
  /**
   * Whether this request carried operator rights (the operator cookie from the console URL, or a
   * bearer token): a page shows its operator controls, or says how to get them. The WebSocket
   * connections the page opens from this browser get the same rights.
   */
  operator: boolean;
}
