// Load generator for R1 (docs/bench.md): Socket.IO floods against the rate limit
// (docs/socketio.md#rate-limit). Two roles, run as separate processes so that neither slows the
// other's event loop:
//   flood: K raw WebSocket sessions that each send one packet (`430[]`, `40/nope,` …) as fast as
//          the socket takes it until the server closes the session, then open another, for S s;
//   probe: one Socket.IO user on a raw WebSocket doing `query` round trips, one at a time (its
//          ack is the answer), one every 10 ms at most (under the default rate, so the probe never
//          waits for its own tokens), for S s.
// Prints one JSON line: the probe's round-trip samples, or the flood's sessions and packets.
import { connectRaw, frame, type Tally } from "./lib/rawws.ts";

export interface FloodArgs {
  port: number;
  role: "flood" | "probe";
  seconds: number;
  /** flood: the packet each frame carries, and how many sessions flood at once. */
  packet?: string;
  flooders?: number;
}

export interface FloodResult {
  sessions: number;
  /** Sessions the server closed with 1008 (the rate queue was full). */
  closed1008: number;
  packets: number;
}

export interface ProbeResult {
  samples: number[];
  failed: number;
}

const PATH = "/socket.io/?EIO=4&transport=websocket";

async function flood(a: FloodArgs): Promise<FloodResult> {
  const chunk = (() => {
    const one = frame(1, new TextEncoder().encode(a.packet ?? "430[]"));
    const out = new Uint8Array(one.length * 1000);
    for (let i = 0; i < 1000; i++) out.set(one, i * one.length);
    return out;
  })();
  const deadline = performance.now() + a.seconds * 1000;
  const r: FloodResult = { sessions: 0, closed1008: 0, packets: 0 };
  const tally: Tally = { frames: 0, bytes: 0 };
  const one = async () => {
    while (performance.now() < deadline) {
      const c = await connectRaw(a.port, PATH, { tally, setup: ["40"] });
      r.sessions++;
      while (!c.ended && c.closeCode === null && performance.now() < deadline) {
        if (c.backlog === 0) {
          c.write(chunk);
          r.packets += 1000;
        }
        await new Promise((res) => setImmediate(res));
      }
      if (c.closeCode === 1008) r.closed1008++;
      if (!c.ended) c.abort();
      await c.done;
    }
  };
  await Promise.all(Array.from({ length: a.flooders ?? 1 }, one));
  return r;
}

async function probe(a: FloodArgs): Promise<ProbeResult> {
  const ws = new WebSocket(`ws://127.0.0.1:${a.port}${PATH}`);
  let wake: ((text: string) => void) | null = null;
  ws.onmessage = (e) => {
    const t = String(e.data);
    if (t === "2") return ws.send("3");
    wake?.(t);
  };
  const next = (pred: (t: string) => boolean) =>
    new Promise<string>((resolve) => {
      wake = (t) => {
        if (!pred(t)) return;
        wake = null;
        resolve(t);
      };
    });
  await new Promise((r) => (ws.onopen = r));
  const connected = next((t) => t.startsWith("40"));
  ws.send("40");
  await connected;
  const samples: number[] = [];
  let failed = 0;
  const deadline = performance.now() + a.seconds * 1000;
  for (let id = 1, due = performance.now(); performance.now() < deadline; id++, due += 10) {
    if (due > performance.now()) await Bun.sleep(due - performance.now());
    const acked = next((t) => t.startsWith(`43${id}[`));
    const t0 = performance.now();
    ws.send(`42${id}["query",{"monitor_id":"probe"}]`);
    const reply = await Promise.race([acked, Bun.sleep(5000).then(() => "")]);
    if (reply === "") failed++;
    else samples.push(performance.now() - t0);
  }
  ws.close();
  return { samples, failed };
}

if (import.meta.main) {
  const a = JSON.parse(process.argv[2] ?? "{}") as FloodArgs;
  const out = a.role === "flood" ? await flood(a) : await probe(a);
  console.log(JSON.stringify(out));
  process.exit(0);
}
