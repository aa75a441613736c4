// One round trip per WebSocket endpoint, run against the compiled binary by test/smoke.test.ts.
// Each protocol adds its probe here.
import type { TestClient } from "./ws-client.ts";

export interface SmokeProbe {
  path: string;
  run(c: TestClient, port: number): Promise<void>;
}

export const smokeProbes: SmokeProbe[] = [
  {
    // Metronome (PROTOCOLS.md §1): the open frame, then get_id → a client id.
    path: "/connect",
    async run(c) {
      const open = await c.next();
      if (open !== '{"jsonrpc":"2.0","id":null,"result":{"status":"success"}}') throw new Error(`metronome open frame: ${open}`);
      c.send({ jsonrpc: "2.0", method: "get_id", params: { time_utc: Date.now() }, id: 1 });
      const r = await c.nextJson();
      if (r.id !== 1 || r.result?.status !== "success" || !Number.isInteger(r.result.client_id) || r.result.client_id < 1)
        throw new Error(`metronome get_id: ${JSON.stringify(r)}`);
    },
  },
];
