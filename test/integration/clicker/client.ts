// Small helpers shared by the clicker integration tests.
import type { TestClient } from "../../helpers/ws-client.ts";

/** REGISTER (optionally with a secret) and parse the reply. */
export async function registerOn(c: TestClient, secret?: string): Promise<{ id: string; secret: string }> {
  c.send(secret ? `REGISTER ${secret}` : "REGISTER");
  const reply = await c.next();
  const m = /^REGISTERED (\d{6}) ([0-9a-f]{32})$/.exec(reply);
  if (!m) throw new Error(`unexpected reply to REGISTER: ${reply}`);
  return { id: m[1]!, secret: m[2]! };
}
