// The raw fan-out path through Switchboard's own seam (Elysia route → Transport endpoint →
// Topics), with no protocol logic: the same URL scheme as the baselines (?room=R subscribes,
// &role=pub publishes every frame to R). F1/F2 compare it with B0 to price the seam itself.
import type { ProtocolFactory } from "../../../src/protocols/types.ts";

interface State {
  topic: string;
  pub: boolean;
}

export const benchFanout: ProtocolFactory = ({ transport }) => {
  const topics = transport.topics("bench");
  const ep = transport.endpoint<State>({
    protocol: "bench",
    open(conn, init) {
      if (!init.pub) conn.subscribe(init.topic);
      return init;
    },
    message(conn, data) {
      if (conn.state.pub) topics.publish(conn.state.topic, typeof data === "string" ? data : new TextDecoder().decode(data));
    },
    rateLimited: () => null,
  });
  return {
    name: "bench",
    routes: (app) =>
      app.get("/bench", ({ request, server, query }) => {
        const state = { topic: "bench:" + (query.room ?? "r"), pub: query.role === "pub" };
        return server && ep.upgrade(request, server, state) ? undefined : new Response("expected a WebSocket", { status: 426 });
      }),
  };
};
