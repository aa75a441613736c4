// Operator rights (docs/access.md#operator-rights): one token. Programs present it as
// `Authorization: Bearer <token>`; a browser gets it as a cookie from the token URL the server
// logs at start. The cookie counts only on requests from the server's own origin (or with no
// Origin): a foreign page that makes the browser connect here sends the cookie too, and must not
// get the operator's rights with it. Pure: decisions from request headers.
import { isOwnOrigin } from "./origin.ts";
import { sameSecret } from "./secret.ts";

export const OPERATOR_COOKIE = "switchboard_operator";
/** The query parameter of the console URL (`/?token=…`). */
export const TOKEN_PARAM = "token";

/** One cookie's value from a Cookie header, or null. */
export function cookieValue(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export class OperatorAuth {
  constructor(private readonly token: string) {}

  /** Is this the operator token? */
  accepts(given: string | null): boolean {
    return sameSecret(given, this.token);
  }

  /** The token from `Authorization: Bearer …`, or null. */
  static bearer(request: Request): string | null {
    const h = request.headers.get("authorization");
    const m = h && /^Bearer\s+(\S+)\s*$/i.exec(h);
    return m ? m[1]! : null;
  }

  /** Does this request (an HTTP request or a WebSocket upgrade) carry operator rights? */
  grants(request: Request): boolean {
    const bearer = OperatorAuth.bearer(request);
    if (bearer !== null) return this.accepts(bearer);
    if (!isOwnOrigin(request)) return false;
    return this.accepts(cookieValue(request.headers.get("cookie"), OPERATOR_COOKIE));
  }

  /**
   * The Set-Cookie value for a browser that opened the token URL: HttpOnly (page scripts never
   * see it), SameSite=Strict (other sites' links and forms do not carry it), for a year.
   */
  cookie(secure: boolean): string {
    return `${OPERATOR_COOKIE}=${this.token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000${secure ? "; Secure" : ""}`;
  }
}
