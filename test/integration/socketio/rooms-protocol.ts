// A test-only application on the Socket.IO layer that exercises rooms and broadcasts.
import type { ProtocolFactory } from "../../../src/protocols/types.ts";
import { mountSocketIO } from "../../../src/socketio/mount.ts";

export const roomsProtocol: ProtocolFactory = (ctx) => {
  const mounted = mountSocketIO(ctx);
  const nsp = mounted.io.of("/");
  nsp.onConnection((socket) => {
    socket.on("join", ([room], ack) => {
      socket.join(String(room));
      ack?.(nsp.rooms.size(String(room)));
    });
    socket.on("leave", ([room], ack) => {
      socket.leave(String(room));
      ack?.(nsp.rooms.size(String(room)));
    });
    // to the others in the room
    socket.on("shout", ([room, ...args]) => socket.to(String(room)).emit("shout", ...args));
    // to everyone in the room, the sender included
    socket.on("all", ([room, ...args]) => nsp.to(String(room)).emit("all", ...args));
    // a server-side close: a last event, the DISCONNECT, then the whole session ends
    socket.on("bye", () => {
      socket.emit("bye");
      socket.disconnect(true);
    });
    // a deliberate bug, to check that it costs only this session
    socket.on("boom", () => {
      throw new Error("deliberate handler bug (test)");
    });
  });
  return { name: "rooms-test", routes: mounted.routes, stop: mounted.stop };
};
