// One round trip per WebSocket endpoint, run against the compiled binary by test/smoke.test.ts.
// Each protocol adds its probe here.
import type { TestClient } from "./ws-client.ts";

export interface SmokeProbe {
  path: string;
  run(c: TestClient, port: number): Promise<void>;
}

export const smokeProbes: SmokeProbe[] = [
  {
    // Clicker (PROTOCOLS.md §3): REGISTER, then a SCORE that must be written to the database.
    path: "/ws",
    async run(c) {
      c.send("REGISTER");
      const reg = await c.next();
      if (!/^REGISTERED \d{6} [0-9a-f]{32}$/.test(reg)) throw new Error(`clicker: unexpected REGISTER reply ${JSON.stringify(reg)}`);
      c.send("SCORE 1 1");
      const scored = await c.next();
      if (scored !== "SCORED 1") throw new Error(`clicker: unexpected SCORE reply ${JSON.stringify(scored)}`);
    },
  },
];
