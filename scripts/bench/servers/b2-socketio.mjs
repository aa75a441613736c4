// Baseline B2: the official socket.io server on Node.js, running the user/monitor command relay
// of docs/socketio.md#events (query, command send → command do, command done → command finish, con).
// It is the reference a Socket.IO user would otherwise deploy; F4 compares commands/s against it.
import { createServer } from "node:http";
import { Server } from "socket.io";

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const http = createServer();
const io = new Server(http, { cors: { origin: "*" }, pingInterval: 25000, pingTimeout: 20000, maxHttpBufferSize: 1e6 });
const monitors = new Map(); // monitor_id → socket
const pending = new Map(); // command id → { user, monitor }
let nextId = 1;

const reply = (socket, ack, event, payload) => {
  socket.emit(event, payload);
  if (typeof ack === "function") ack(payload);
};

io.on("connection", (socket) => {
  socket.on("query", (p, ack) => {
    const id = p && p.monitor_id;
    if (typeof id !== "string" || !ID.test(id)) {
      reply(socket, ack, "query failed", { reason: "invalid monitor_id" });
      socket.disconnect(true);
      return;
    }
    socket.data.monitor = id;
    reply(socket, ack, "query ok", { reason: "ok", online: monitors.has(id) });
  });
  socket.on("command send", (p, ack) => {
    const command = p && p.command;
    if (typeof command !== "string" || command.length === 0 || command.length > 4096) return reply(socket, ack, "command failed", { reason: "invalid command" });
    if (!socket.data.monitor) return reply(socket, ack, "command failed", { reason: "query a monitor first" });
    const mon = monitors.get(socket.data.monitor);
    if (!mon) return reply(socket, ack, "command failed", { reason: "monitor offline" });
    const id = String(nextId++);
    pending.set(id, { user: socket, monitor: socket.data.monitor });
    mon.emit("command do", { command, id });
    reply(socket, ack, "command ok", { reason: "sent", id });
  });
  socket.on("con", (p) => {
    const id = p && p.monitor_id;
    if (typeof id !== "string" || !ID.test(id) || monitors.has(id)) {
      socket.emit("con failed", { reason: monitors.has(id) ? "monitor_id already registered" : "invalid monitor_id" });
      socket.disconnect(true);
      return;
    }
    socket.data.role = "monitor";
    socket.data.id = id;
    monitors.set(id, socket);
    socket.emit("con ok", { reason: "connected" });
  });
  socket.on("command done", (p) => {
    let id = p && p.id;
    if (id === undefined) for (const [k, v] of pending) if (v.monitor === socket.data.id) { id = k; break; }
    const c = pending.get(String(id));
    if (!c || c.monitor !== socket.data.id) return;
    pending.delete(String(id));
    c.user.emit("command finish", { reason: "done", id: String(id) });
  });
  socket.on("command error", (p) => {
    const id = p && String(p.id);
    const c = pending.get(id);
    if (!c || c.monitor !== socket.data.id) return;
    pending.delete(id);
    c.user.emit("command failed", { reason: String((p && p.reason) || "error"), id });
  });
  socket.on("disconnect", () => {
    if (socket.data.role !== "monitor" || monitors.get(socket.data.id) !== socket) return;
    monitors.delete(socket.data.id);
    for (const [k, c] of pending) {
      if (c.monitor !== socket.data.id) continue;
      pending.delete(k);
      c.user.emit("command failed", { reason: "monitor disconnected", id: k });
    }
  });
});
http.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => console.log(JSON.stringify({ port: http.address().port })));
process.on("SIGTERM", () => process.exit(0));
