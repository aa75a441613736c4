// Baseline B1: Node.js + the `ws` package, fanning out with a send loop (the common pattern).
// Same URL scheme as b0-bun.ts: ?room=R subscribes, &role=pub publishes every frame to R.
import { createServer } from "node:http";
import { WebSocketServer } from "ws";

const rooms = new Map();
const http = createServer((req, res) => res.end("ok"));
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 65536 });
http.on("upgrade", (req, socket, head) => {
  const u = new URL(req.url ?? "/", "http://localhost");
  const room = u.searchParams.get("room") ?? "r";
  const pub = u.searchParams.get("role") === "pub";
  wss.handleUpgrade(req, socket, head, (ws) => {
    if (pub) {
      ws.on("message", (data, isBinary) => {
        const set = rooms.get(room);
        if (set) for (const c of set) c.send(data, { binary: isBinary });
      });
      return;
    }
    let set = rooms.get(room);
    if (!set) rooms.set(room, (set = new Set()));
    set.add(ws);
    ws.on("close", () => {
      set.delete(ws);
      if (set.size === 0) rooms.delete(room);
    });
    ws.on("error", () => {});
  });
});
http.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => console.log(JSON.stringify({ port: http.address().port })));
process.on("SIGTERM", () => process.exit(0));
