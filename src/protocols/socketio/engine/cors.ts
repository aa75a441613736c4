// CORS for the HTTP long-polling transport (browser clients). Allowed origins come from
// --cors-origin; '*' allows any. An allowed Origin is echoed with credentials, so browsers that
// send cookies (socket.io-client withCredentials) are accepted too. Like the reference server,
// CORS only adds headers: a request from another origin is served without them (the browser
// then withholds the answer), and non-browser clients, which often send an Origin of their own
// (python's websocket-client does), are never refused for it.
export class Cors {
  private readonly any: boolean;
  private readonly allowed: Set<string>;
  constructor(origins: string[]) {
    this.any = origins.includes("*");
    this.allowed = new Set(origins);
  }

  private allows(origin: string | null): boolean {
    return origin === null || this.any || this.allowed.has(origin);
  }

  headers(origin: string | null): Record<string, string> {
    if (origin === null) return this.any ? { "access-control-allow-origin": "*" } : {};
    if (!this.allows(origin)) return { vary: "Origin" };
    return { "access-control-allow-origin": origin, "access-control-allow-credentials": "true", vary: "Origin" };
  }

  /** Answer to an OPTIONS preflight. */
  preflight(origin: string | null, requestHeaders: string | null): Record<string, string> {
    const h = this.headers(origin);
    if (!("access-control-allow-origin" in h)) return h;
    return {
      ...h,
      "access-control-allow-methods": "GET, POST, OPTIONS",
      "access-control-allow-headers": requestHeaders ?? "content-type",
      "access-control-max-age": "86400",
    };
  }
}
