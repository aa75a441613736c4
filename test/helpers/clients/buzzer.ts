// The /mediator client of every buzzer test (docs/buzzer.md#commands-and-replies): a real
// WebSocket, with operator rights unless other upgrade headers are given, and ways to wait for the
// reply or event a test expects.
import { expect } from "bun:test";
import { operatorHeaders } from "../server.ts";
import { TestClient } from "../ws-client.ts";

/** A client of `${wsBase}/mediator` (wsBase: a server's ws:// origin); `headers` replace the operator's bearer header. */
export function openMediator(wsBase: string, headers: Record<string, string> = operatorHeaders): Promise<TestClient> {
  return TestClient.open(`${wsBase}/mediator`, { headers });
}

/** The next frame whose JSON pred accepts, parsed; the frames before it are dropped. */
export async function untilJson(c: TestClient, pred: (m: any) => boolean, ms = 3000): Promise<any> {
  return JSON.parse(await c.until((t) => pred(JSON.parse(t)), ms));
}

/** Matches the event of that kind for that pool (and buzzer, when given). */
export const isEvent = (event: string, pool: string, buzzer?: number | null) => (m: any) =>
  m.event === event && m.pool === pool && (buzzer === undefined || m.buzzer === buzzer);

/** The next frame, which must be an event with exactly the keys event, pool, buzzer and a numeric ts; returned without ts. */
export async function nextEvent(c: TestClient, ms = 3000): Promise<{ event: string; pool: string; buzzer: number | null }> {
  const e = await c.nextJson(ms);
  expect(Object.keys(e)).toEqual(["event", "pool", "buzzer", "ts"]);
  expect(typeof e.ts).toBe("number");
  const { ts, ...rest } = e;
  return rest;
}
