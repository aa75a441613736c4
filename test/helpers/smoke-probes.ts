// One round trip per WebSocket endpoint, run against the compiled binary by test/smoke.test.ts.
// Each protocol adds its probe here.
import type { TestClient } from "./ws-client.ts";

export interface SmokeProbe {
  path: string;
  run(c: TestClient, port: number): Promise<void>;
}

export const smokeProbes: SmokeProbe[] = [
  {
    path: "/mediator",
    async run(c) {
      c.send({ list: "pools" });
      const r = JSON.parse(await c.next());
      if (r.response !== "pools" || !Array.isArray(r.pools)) throw new Error("unexpected reply: " + JSON.stringify(r));
    },
  },
];
