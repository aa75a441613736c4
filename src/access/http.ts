// Access rules on the HTTP side (docs/access.md): one request hook, ahead of every route.
// - A browser origin that --allowed-origins does not admit gets 403 on every WebSocket upgrade
//   and every Socket.IO request, before any protocol sees it.
// - A GET with `?token=<operator token>` (the console URL the server logs) sets the operator
//   cookie and redirects to the same URL without the token, so it leaves the address bar and the
//   browser history. A wrong token gets 403 and no cookie.
import type { AnyElysia } from "elysia";
import { OperatorAuth, TOKEN_PARAM } from "./operator.ts";
import { OriginPolicy, originOf } from "./origin.ts";

export interface AccessOptions {
  operator: OperatorAuth;
  origins: OriginPolicy;
  /** Served over TLS: the cookie is marked Secure. */
  secure: boolean;
  /** A refused request (for /metrics and the log). */
  refused?(why: "origin" | "token", request: Request): void;
}

const SOCKET_IO = "/socket.io/";
const text = (status: number, body: string) => new Response(body + "\n", { status, headers: { "content-type": "text/plain; charset=utf-8" } });

const isUpgrade = (r: Request) => r.headers.get("upgrade")?.toLowerCase() === "websocket";

/** The request hook; returns a Response to answer at once, or undefined to go on to the routes. */
export function accessGate(o: AccessOptions): (request: Request) => Response | undefined {
  return (request) => {
    const url = request.url;
    const q = url.indexOf("?");
    const path = url.slice(url.indexOf("/", url.indexOf("//") + 2), q < 0 ? undefined : q);
    const upgrade = isUpgrade(request);
    if (!o.origins.open && (upgrade || path.startsWith(SOCKET_IO)) && !o.origins.admits(request)) {
      o.refused?.("origin", request);
      return text(403, `origin ${JSON.stringify(originOf(request))} may not connect to this server`);
    }
    // The token URL: plain page loads only. Socket.IO clients may carry a `token` query of their own.
    if (q < 0 || upgrade || request.method !== "GET" || path.startsWith(SOCKET_IO)) return undefined;
    const params = new URLSearchParams(url.slice(q + 1));
    const token = params.get(TOKEN_PARAM);
    if (token === null) return undefined;
    if (!o.operator.accepts(token)) {
      o.refused?.("token", request);
      return text(403, "that operator token is not valid (the server logs the console URL with the right one at start)");
    }
    params.delete(TOKEN_PARAM);
    const rest = params.toString();
    return new Response(null, {
      status: 303,
      headers: { location: path + (rest ? `?${rest}` : ""), "set-cookie": o.operator.cookie(o.secure), "cache-control": "no-store", "referrer-policy": "no-referrer" },
    });
  };
}

export function accessRoutes(app: AnyElysia, o: AccessOptions): AnyElysia {
  const gate = accessGate(o);
  return app.onRequest(({ request }) => gate(request));
}
