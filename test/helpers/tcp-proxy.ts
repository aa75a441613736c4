// A TCP relay between one node and Redis, for cutting that node off (a network partition between
// it and Redis) without root: cut() drops every relayed connection and refuses new ones until heal().
import type { Socket, TCPSocketListener } from "bun";

export interface TcpProxy {
  port: number;
  cut(): void;
  heal(): void;
  stop(): void;
}

interface Pair {
  peer: Socket<Pair> | null;
  /** Bytes from the client before the upstream connection was open. */
  early: Uint8Array[];
}

export async function tcpProxy(targetPort: number): Promise<TcpProxy> {
  let down = false;
  const live = new Set<Socket<Pair>>();
  const listener: TCPSocketListener<Pair> = Bun.listen<Pair>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        if (down) return void client.end();
        client.data = { peer: null, early: [] };
        live.add(client);
        void Bun.connect<Pair>({
          hostname: "127.0.0.1",
          port: targetPort,
          socket: {
            open(up) {
              up.data = { peer: client, early: [] };
              live.add(up);
              client.data.peer = up;
              for (const b of client.data.early) up.write(b);
              client.data.early = [];
            },
            data(up, chunk) {
              up.data.peer?.write(chunk);
            },
            close(up) {
              live.delete(up);
              up.data.peer?.end();
            },
            error(up) {
              up.data.peer?.end();
            },
          },
        }).catch(() => client.end());
      },
      data(client, chunk) {
        if (client.data.peer) client.data.peer.write(chunk);
        else client.data.early.push(new Uint8Array(chunk));
      },
      close(client) {
        live.delete(client);
        client.data?.peer?.end();
      },
      error(client) {
        client.data?.peer?.end();
      },
    },
  });
  return {
    port: listener.port,
    cut() {
      down = true;
      for (const s of [...live]) s.terminate();
      live.clear();
    },
    heal() {
      down = false;
    },
    stop() {
      down = true;
      for (const s of [...live]) s.terminate();
      listener.stop(true);
    },
  };
}
