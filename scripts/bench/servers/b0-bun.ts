// Baseline B0, the ceiling: the smallest Bun.serve that fans out with native server.publish.
//   ws://host/?room=R            subscriber of topic R
//   ws://host/?room=R&role=pub   publisher: every frame it sends goes to topic R
// Socket settings match Switchboard's root app (src/server.ts) so only the code path differs.
const port = Number(process.env.PORT ?? 0);
type Data = { room: string; pub: boolean };
const server = Bun.serve<Data>({
  hostname: "127.0.0.1",
  port,
  fetch(req, srv) {
    const u = new URL(req.url);
    if (u.pathname === "/healthz") return new Response("ok");
    const data = { room: u.searchParams.get("room") ?? "r", pub: u.searchParams.get("role") === "pub" };
    return srv.upgrade(req, { data }) ? undefined : new Response("expected a WebSocket", { status: 426 });
  },
  websocket: {
    maxPayloadLength: 65536,
    backpressureLimit: 1024 * 1024,
    closeOnBackpressureLimit: true,
    idleTimeout: 0,
    sendPings: false,
    perMessageDeflate: false,
    open(ws) {
      if (!ws.data.pub) ws.subscribe(ws.data.room);
    },
    message(ws, msg) {
      if (ws.data.pub) server.publish(ws.data.room, msg);
    },
  },
});
console.log(JSON.stringify({ port: server.port }));
process.on("SIGTERM", () => process.exit(0));
