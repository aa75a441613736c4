// Load generator for F4: the Socket.IO user/monitor relay end to end (docs/socketio.md#events), with the
// official socket.io-client or the raw clients of lib/sio-raw.ts: K monitors (`con`, answer every
// `command do` with `command done`) and K users (`query` their monitor, then `command send`); a
// command counts when its user gets `command finish`. Closed loop (`outstanding` commands per
// pair) and open loop (fixed rate), over websocket or polling. Prints one JSON line.
import { io } from "socket.io-client";
import { phase, type Load, type PhaseArgs, type ShapeResult } from "./lib/phase.ts";
import { RawSio, RawSioPolling } from "./lib/sio-raw.ts";

export interface RelayArgs extends Omit<PhaseArgs, "ms" | "inflight"> {
  port: number;
  pairs: number;
  transport: "websocket" | "polling";
  /** socket.io-client, or lib/sio-raw.ts (the same packets, a fraction of the client CPU). */
  client: "sio" | "raw";
  /** Closed loop: commands outstanding per pair. */
  outstanding: number;
  closedMs: number;
  openMs: number;
}

/** What the load generator needs of a client: socket.io-client's Socket and RawSio both fit. */
interface Socket {
  on(event: string, h: (p: any) => void): unknown;
  once(event: string, h: (p: any) => void): unknown;
  emit(event: string, payload: unknown): unknown;
  disconnect(): unknown;
}
const once = <T>(s: Socket, ev: string) => new Promise<T>((r) => s.once(ev, r));

if (import.meta.main) {
  const a = JSON.parse(process.argv[2] ?? "{}") as RelayArgs;
  const url = `http://127.0.0.1:${a.port}`;
  const opts = { transports: [a.transport], reconnection: false, forceNew: true };
  const connect = (): Socket => (a.client === "sio" ? io(url, opts) : a.transport === "websocket" ? RawSio.open(url) : RawSioPolling.open(url));
  const sockets: Socket[] = [];
  // A user's commands are answered in order, so `command ok` maps the oldest send time to its id.
  const users: { s: Socket; pending: number[] }[] = [];
  /** Users whose command just finished, most recent last. */
  const ready: { s: Socket; pending: number[] }[] = [];
  let finished = 0;
  let failed = 0;
  let measuring = false;
  let samples: number[] = [];
  const sentAt = new Map<string, number>();
  const load: Load = {
    publish: () => 1,
    delivered: () => finished,
    setMeasuring: (on) => (measuring = on),
    takeSamples: () => samples.splice(0),
    onProgress: null,
  };
  for (let i = 0; i < a.pairs; i++) {
    const monitorId = `bench-${process.pid}-${i}`;
    const mon = connect();
    sockets.push(mon);
    mon.on("command do", (p: { id: string }) => mon.emit("command done", { id: p.id }));
    await once(mon, "connect");
    mon.emit("con", { monitor_id: monitorId });
    await once(mon, "con ok");
    const user = connect();
    sockets.push(user);
    await once(user, "connect");
    user.emit("query", { monitor_id: monitorId });
    const q = await once<{ online: boolean }>(user, "query ok");
    if (!q.online) throw new Error("monitor not online after con ok");
    const pending: number[] = [];
    user.on("command ok", (p: { id: string }) => sentAt.set(p.id, pending.shift() ?? performance.now()));
    const u = { s: user, pending };
    user.on("command finish", (p: { id: string }) => {
      finished++;
      ready.push(u);
      const t0 = sentAt.get(p.id);
      sentAt.delete(p.id);
      if (measuring && t0 !== undefined) samples.push(performance.now() - t0);
      load.onProgress?.();
    });
    user.on("command failed", () => failed++);
    users.push(u);
  }
  let k = 0;
  load.publish = () => {
    // The closed loop refills the user whose command just finished, as a device waiting for its
    // command would send the next one; its commands of one turn then leave in one write.
    const u = ready.pop() ?? users[k++ % users.length]!;
    u.pending.push(performance.now());
    u.s.emit("command send", { command: "ping" });
    return 1;
  };
  const base = { ...a, inflight: a.outstanding * a.pairs };
  const results: ShapeResult[] = [await phase(load, "closed", { ...base, ms: a.closedMs }, a.pairs), await phase(load, "open", { ...base, ms: a.openMs }, a.pairs)];
  for (const s of sockets) s.disconnect();
  console.log(JSON.stringify({ results, failed }));
  process.exit(0);
}
