// 1000 commands between a user and a monitor on different transports: nothing lost, nothing duplicated.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { SioTestClient, type Mode } from "../../helpers/clients/socketio.ts";

let s: TestServer;
const open: SioTestClient[] = [];
beforeAll(async () => {
  // The per-session event rate is not what is measured here.
  s = await bootServer({ rateLimit: 100_000, rateBurst: 100_000 });
});
afterAll(async () => {
  for (const c of open) c.close();
  await s.stop();
});

const N = 1000;
const WINDOW = 100; // commands in flight at once

for (const [userMode, monitorMode] of [["websocket", "polling"], ["polling", "default"]] as Array<[Mode, Mode]>) {
  test(`${N} commands, user over ${userMode}, monitor over ${monitorMode}`, async () => {
    const monitorId = `load-${userMode}-${monitorMode}`;
    const m = await SioTestClient.connect(s.http, monitorMode);
    const u = await SioTestClient.connect(s.http, userMode);
    open.push(m, u);
    m.emit("con", { monitor_id: monitorId });
    await m.next("con ok");
    await u.emitWithAck("query", { monitor_id: monitorId });

    const received = new Map<string, string[]>(); // command text → ids the monitor was given
    m.socket.on("command do", (job: { id: string; command: string }) => {
      received.set(job.command, [...(received.get(job.command) ?? []), job.id]);
      m.emit("command done", { id: job.id });
    });
    const okIds = new Map<string, string>(); // id → command text
    const finished = new Map<string, number>();
    let resolveAll!: () => void;
    const all = new Promise<void>((r) => (resolveAll = r));
    let inFlight = 0;
    let sent = 0;
    const pump = () => {
      while (inFlight < WINDOW && sent < N) {
        const command = `c${sent++}`;
        inFlight++;
        u.socket.emit("command send", { command }, (reply: { reason: string; id?: string }) => {
          if (reply.id) okIds.set(reply.id, command);
        });
      }
    };
    u.socket.on("command finish", (f: { id: string }) => {
      finished.set(f.id, (finished.get(f.id) ?? 0) + 1);
      inFlight--;
      if (finished.size === N) resolveAll();
      pump();
    });
    pump();
    await all;
    await Bun.sleep(100); // anything duplicated would arrive now

    expect(okIds.size).toBe(N);
    expect([...finished.values()].every((n) => n === 1)).toBe(true);
    expect([...finished.keys()].sort()).toEqual([...okIds.keys()].sort());
    expect(received.size).toBe(N);
    for (const [command, ids] of received) {
      expect(ids.length).toBe(1);
      expect(okIds.get(ids[0]!)).toBe(command);
    }
    expect(u.take("command failed")).toEqual([]);
  }, 30_000);
}
