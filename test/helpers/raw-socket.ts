// A bare TCP client that performs the WebSocket handshake and then never answers anything,
// like a phone that dropped off the network without a FIN.
import type { Socket } from "bun";

export async function silentWebSocket(port: number, path: string): Promise<{ closed: Promise<void>; socket: Socket }> {
  let onClose!: () => void;
  const closed = new Promise<void>((r) => (onClose = r));
  let upgraded!: () => void;
  const handshake = new Promise<void>((r) => (upgraded = r));
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, data) {
        if (data.toString("latin1").startsWith("HTTP/1.1 101")) upgraded();
      },
      close: () => onClose(),
      error: () => onClose(),
    },
  });
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await handshake;
  return { closed, socket };
}
