// One round trip per WebSocket endpoint, run against the compiled binary by test/smoke.test.ts.
// Each protocol adds its probe here.
import type { TestClient } from "./ws-client.ts";

export interface SmokeProbe {
  path: string;
  run(c: TestClient, port: number): Promise<void>;
}

export const smokeProbes: SmokeProbe[] = [
  {
    // Socket.IO relay: raw Engine.IO open packet, then a Socket.IO CONNECT to "/".
    path: "/socket.io/?EIO=4&transport=websocket",
    async run(c) {
      const open = await c.next();
      if (!open.startsWith('0{"sid"')) throw new Error(`expected the Engine.IO open packet, got ${open}`);
      c.send("40");
      const connected = await c.next();
      if (!connected.startsWith('40{"sid"')) throw new Error(`expected a Socket.IO CONNECT reply, got ${connected}`);
    },
  },
];
