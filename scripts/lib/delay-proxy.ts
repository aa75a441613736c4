// A TCP proxy on 127.0.0.1 that delays each direction by its own amount plus per-chunk jitter,
// keeping the byte order (a chunk never overtakes the one before it, as on a real link). Tests and
// benchmarks put a phone behind it to give it a slow or jittery network
// (docs/buzzer.md#fairness-and-its-limits). Every WebSocket frame, the upgrade included, goes
// through it unchanged.
import type { Socket, TCPSocketListener } from "bun";

export interface DelaySpec {
  /** Client → server delay (ms). */
  upMs: number;
  /** Server → client delay (ms). */
  downMs: number;
  /** Extra delay per chunk, uniform in [0, jitterMs) (ms). */
  jitterMs?: number;
  /** Random numbers in [0, 1) (a seeded generator makes runs repeatable). */
  rand?: () => number;
}

export interface DelayProxy {
  readonly port: number;
  /** ws://127.0.0.1:<proxy port><path> */
  ws(path: string): string;
  /** Change the delays for chunks from now on. */
  set(spec: Partial<DelaySpec>): void;
  close(): void;
}

/** One direction of one connection: chunks waiting for their time, written in order. */
class Lane {
  private due = 0;
  private pending: Uint8Array[] = [];
  private target: Socket<any> | null = null;
  private closed = false;

  constructor(private readonly delay: () => number) {}

  attach(target: Socket<any>): void {
    this.target = target;
    this.flush();
  }

  push(chunk: Uint8Array): void {
    const copy = chunk.slice(); // Bun reuses the read buffer
    const at = Math.max(this.due, performance.now() + this.delay());
    this.due = at;
    setTimeout(() => {
      if (this.closed) return;
      this.pending.push(copy);
      this.flush();
    }, Math.max(0, at - performance.now()));
  }

  /** Write what is due; what the socket does not take now waits for its drain. */
  flush(): void {
    const t = this.target;
    if (!t) return;
    while (this.pending.length) {
      const c = this.pending[0]!;
      const n = t.write(c);
      if (n < c.byteLength) {
        this.pending[0] = c.subarray(Math.max(0, n));
        return;
      }
      this.pending.shift();
    }
  }

  /** End the far side once everything already sent has been delivered. */
  endAfterDelay(): void {
    const at = Math.max(this.due, performance.now());
    setTimeout(() => {
      this.flush();
      this.target?.end();
      this.closed = true;
    }, Math.max(0, at - performance.now()));
  }
}

interface Pair {
  up: Lane;
  down: Lane;
  server: Socket<any> | null;
}

export async function delayProxy(targetPort: number, spec: DelaySpec): Promise<DelayProxy> {
  let cur: Required<DelaySpec> = { jitterMs: 0, rand: Math.random, ...spec };
  const jitter = () => (cur.jitterMs > 0 ? cur.rand() * cur.jitterMs : 0);
  const pairs = new Set<Pair>();
  const listener: TCPSocketListener<Pair> = Bun.listen<Pair>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        const pair: Pair = { up: new Lane(() => cur.upMs + jitter()), down: new Lane(() => cur.downMs + jitter()), server: null };
        client.data = pair;
        pairs.add(pair);
        pair.down.attach(client);
        void Bun.connect<Pair>({
          hostname: "127.0.0.1",
          port: targetPort,
          socket: {
            open(server) {
              server.data = pair;
              pair.server = server;
              pair.up.attach(server);
            },
            data(_server, chunk) {
              pair.down.push(chunk);
            },
            drain() {
              pair.up.flush();
            },
            close() {
              pair.down.endAfterDelay();
            },
            error() {},
          },
        }).catch(() => client.end());
      },
      data(client, chunk) {
        client.data.up.push(chunk);
      },
      drain(client) {
        client.data.down.flush();
      },
      close(client) {
        client.data.up.endAfterDelay();
        pairs.delete(client.data);
      },
      error() {},
    },
  });
  return {
    port: listener.port,
    ws: (path) => `ws://127.0.0.1:${listener.port}${path}`,
    set(next) {
      cur = { ...cur, ...next };
    },
    close() {
      listener.stop(true);
      for (const p of pairs) p.server?.end();
      pairs.clear();
    },
  };
}

/** mulberry32: a small seeded PRNG, so a jittery run is the same every time. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
