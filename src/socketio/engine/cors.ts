// CORS for the HTTP long-polling transport (browser clients), from --cors-origin
// (docs/socketio.md#cors). '*' lets any page read the answers, but never with credentials: a
// reflected Origin plus Access-Control-Allow-Credentials would let any site drive a visitor's
// session with their cookies. Credentials are allowed only for origins listed by name, which are
// echoed (with Vary: Origin, so caches keep answers per origin apart). CORS only adds headers:
// a request from another origin is served without them (the browser then withholds the
// answer), so non-browser clients, which often send an Origin of their own (python's
// websocket-client does), are never refused for it.
export class Cors {
  private readonly any: boolean;
  private readonly listed: Set<string>;
  constructor(origins: string[]) {
    this.any = origins.includes("*");
    this.listed = new Set(origins.filter((o) => o !== "*"));
  }

  headers(origin: string | null): Record<string, string> {
    if (origin !== null && this.listed.has(origin)) {
      return { "access-control-allow-origin": origin, "access-control-allow-credentials": "true", vary: "Origin" };
    }
    if (this.any) return this.listed.size ? { "access-control-allow-origin": "*", vary: "Origin" } : { "access-control-allow-origin": "*" };
    return origin === null ? {} : { vary: "Origin" };
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
