// Why an HTTP request for something that needs operator rights is refused
// (docs/access.md#what-needs-operator-rights), as a JSON error a program can act on: 401 when it
// brought no credentials at all, 403 when it brought ones that do not count (a wrong bearer token,
// a wrong cookie, or the cookie on a request from a foreign page). Pure.
import { OPERATOR_COOKIE, OperatorAuth, cookieValue } from "./operator.ts";
import { isOwnOrigin, originOf } from "./origin.ts";

const deny = (status: 401 | 403, error: string, message: string) =>
  new Response(JSON.stringify({ error, message }) + "\n", {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      ...(status === 401 ? { "www-authenticate": 'Bearer realm="switchboard"' } : {}),
    },
  });

/** null when the request carries operator rights; otherwise the refusal to send. */
export function operatorRefusal(operator: OperatorAuth, request: Request): Response | null {
  if (operator.grants(request)) return null;
  if (OperatorAuth.bearer(request) !== null) return deny(403, "forbidden", "that operator token is not valid");
  if (cookieValue(request.headers.get("cookie"), OPERATOR_COOKIE) !== null) {
    if (!isOwnOrigin(request))
      return deny(403, "forbidden", `the operator cookie counts only on requests from this server's own pages, not from ${JSON.stringify(originOf(request))}`);
    return deny(403, "forbidden", "that operator cookie is not valid: open the console URL the server logs at start again");
  }
  return deny(401, "unauthorized", "this needs operator rights: send Authorization: Bearer <operator token>, or open the console URL the server logs at start in this browser");
}
