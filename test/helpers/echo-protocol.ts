// A test-only endpoint that echoes every frame: pins the raw-frame seam and the transport limits.
import type { ProtocolFactory } from "../../src/protocols/types.ts";

export const echoProtocol: ProtocolFactory = ({ transport }) => {
  const ep = transport.endpoint<{ n: number }>({
    protocol: "echo",
    message(conn, data) {
      conn.state.n++;
      conn.send(data as string);
    },
    rateLimited: () => "RATE LIMITED",
  });
  return {
    name: "echo",
    routes: (app) =>
      app.get("/test/echo", ({ request, server }) =>
        ep.accept(request, server, { n: 0 }),
      ),
  };
};
