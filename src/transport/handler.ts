// Bun's WebSocket callbacks for every endpoint: each socket's ws.data is its WsConn, and each event
// goes to that connection's Endpoint. Given to the listener as its `websocket` handler, in place of
// Elysia's own dispatch (our endpoints are plain routes that upgrade themselves, so that frames
// reach the protocols exactly as sent: docs/architecture.md#the-websocket-seam).
import type { WebSocketHandler } from "bun";
import type { WsConn } from "./conn.ts";

export const socketEvents: Pick<WebSocketHandler<WsConn<any>>, "open" | "message" | "close" | "ping" | "pong" | "drain"> = {
  open: (ws) => ws.data.endpoint.opened(ws.data, ws),
  message: (ws, data) => ws.data.endpoint.received(ws.data, data),
  close: (ws, code, reason) => ws.data.endpoint.ended(ws.data, code, reason),
  ping: (ws) => ws.data.endpoint.control(ws.data),
  pong: (ws) => void ws.data.endpoint.transport.heard(ws.data),
  drain: () => {},
};
