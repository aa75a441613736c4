// Which browser origins a request comes from, and whether they may connect (docs/access.md#origins).
// Pure: works on the request's headers only.

/** The Origin header, or null when the request has none (not a browser, or a same-origin GET). */
export const originOf = (request: Request): string | null => request.headers.get("origin");

/**
 * Whether the request's Origin is the server's own: the host (and port) in the Origin is the
 * Host the request came to. A request without Origin counts as own (programs, same-origin GETs).
 * The scheme is not compared: behind a TLS-terminating proxy the browser's https origin meets a
 * plain http request, and the host alone is what a foreign page cannot fake.
 */
export function isOwnOrigin(request: Request): boolean {
  const origin = originOf(request);
  if (origin === null) return true;
  const host = request.headers.get("host");
  if (!host) return false;
  try {
    return new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false; // "null", "Espruino" and other non-URL origins are never our own
  }
}

/**
 * --allowed-origins: "*" admits every origin; otherwise only the listed ones (compared exactly,
 * case-insensitively), the server's own, and requests with no Origin at all.
 */
export class OriginPolicy {
  private readonly any: boolean;
  private readonly allowed: Set<string>;

  constructor(origins: readonly string[]) {
    this.any = origins.length === 0 || origins.includes("*");
    this.allowed = new Set(origins.map((o) => o.toLowerCase().replace(/\/+$/, "")));
  }

  get open(): boolean {
    return this.any;
  }

  admits(request: Request): boolean {
    if (this.any) return true;
    const origin = originOf(request);
    return origin === null || this.allowed.has(origin.toLowerCase()) || isOwnOrigin(request);
  }
}
