// The server every protocol-suite case talks to: scripts/sio-reference-server.ts booted in the
// process, with the suite's own helpers (initLongPollingSession, initSocketIOConnection) on Wire.
import { afterAll, beforeAll } from "bun:test";
import { referenceConfig, referenceProtocol } from "../../../scripts/sio-reference-server.ts";
import { Wire } from "../../helpers/clients/socketio.ts";
import { bootServer, type TestServer } from "../../helpers/server.ts";

export const PING_INTERVAL = 300;
export const PING_TIMEOUT = 200;
export const KEYS = ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"];
export const bytes = (...b: number[]) => Uint8Array.from(b);
export const PH = '{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}';

/** Boots the reference server for the file; its sockets are closed and it is stopped after the file. */
export function referenceServer() {
  let server: TestServer | undefined;
  const open: Wire[] = [];
  beforeAll(async () => {
    server = await bootServer(referenceConfig, { protocols: [referenceProtocol] });
  });
  afterAll(async () => {
    for (const w of open) w.close();
    await server?.stop();
  });
  const ref = {
    get s(): TestServer {
      if (!server) throw new Error("server not started");
      return server;
    },
    url: (q: string) => `${ref.s.http}/socket.io/?${q}`,
    pollUrl: (sid?: string) => ref.url(`EIO=4&transport=polling${sid ? `&sid=${sid}` : ""}`),
    async ws(q = "EIO=4&transport=websocket"): Promise<Wire> {
      const w = await Wire.open(ref.s.ws(`/socket.io/?${q}`));
      open.push(w);
      return w;
    },
    async initLongPollingSession(): Promise<string> {
      const text = await (await fetch(ref.pollUrl())).text();
      return JSON.parse(text.substring(1)).sid;
    },
    /** The suite's initSocketIOConnection: handshake, "40", the CONNECT reply and the "auth" event. */
    async initSocketIOConnection(): Promise<Wire> {
      const w = await ref.ws();
      await w.next();
      w.send("40");
      await w.next();
      await w.next();
      return w;
    },
  };
  return ref;
}
