// A real redis-server (Debian's, installed by the test setup) on a free port, and Switchboard
// nodes as child processes joined to it: the cluster tests' harness (docs/cluster.md).
import { RedisClient } from "bun";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { startChild, type Child } from "../../scripts/lib/spawn.ts";
import { ensureCommand } from "./tools.ts";
import { tempDir } from "./temp.ts";

const root = join(import.meta.dir, "..", "..");

async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

export interface TestRedis {
  port: number;
  url: string;
  /** A client for the test's own look at the keys. */
  client: RedisClient;
  stop(): Promise<void>;
  /** Stop and start again on the same port (everything it held is lost: no persistence). */
  restart(downMs?: number): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  ensureCommand("redis-server");
  const port = await freePort();
  let proc: ReturnType<typeof Bun.spawn> | null = null;
  const launch = async () => {
    proc = Bun.spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdout: "ignore", stderr: "ignore" });
    const probe = new RedisClient(`redis://127.0.0.1:${port}`, { autoReconnect: false, connectionTimeout: 500 });
    for (let i = 0; ; i++) {
      try {
        await probe.connect();
        await probe.send("PING", []);
        probe.close();
        return;
      } catch {
        if (i > 100) throw new Error("redis-server did not start");
        await Bun.sleep(50);
      }
    }
  };
  await launch();
  const client = new RedisClient(`redis://127.0.0.1:${port}`);
  const kill = async () => {
    const p = proc;
    proc = null;
    if (!p) return;
    p.kill("SIGKILL");
    await p.exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    client,
    stop: async () => {
      client.close();
      await kill();
    },
    restart: async (downMs = 300) => {
      await kill();
      await Bun.sleep(downMs);
      await launch();
    },
  };
}

export interface TestNode {
  id: string;
  port: number;
  http: string;
  ws(path: string): string;
  child: Child;
  dataDir: string;
  /** SIGTERM and wait; `kill` is SIGKILL (a node that dies). */
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/** A node of the cluster: `bun src/main.ts` with --redis and --node-id, on a free port. */
export async function startNode(redis: TestRedis, id: string, args: string[] = []): Promise<TestNode> {
  const dataDir = tempDir(`node-${id}-`);
  const child = await startChild(
    [process.execPath, join(root, "src/main.ts"), "--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir, "--log-format", "json", "--log-level", "info",
      "--redis", redis.url, "--node-id", id, "--cluster-heartbeat-ms", "200", "--cluster-node-timeout-ms", "1500", "--max-conns-per-ip", "0", ...args],
    { env: { SWITCHBOARD_OPERATOR_TOKEN: "test-operator-token-0123456789abcdef" } },
  );
  const port = child.port;
  const done = () => rmSync(dataDir, { recursive: true, force: true });
  return {
    id,
    port,
    child,
    dataDir,
    http: `http://127.0.0.1:${port}`,
    ws: (path) => `ws://127.0.0.1:${port}${path}`,
    stop: async () => {
      await child.stop();
      done();
    },
    kill: async () => {
      child.proc.kill("SIGKILL");
      await child.proc.exited;
      done();
    },
  };
}

export interface RedisProxy {
  url: string;
  /** Cut the nodes behind this proxy off Redis: every connection is dropped, new ones refused. */
  cut(): void;
  /** Let them through again. */
  heal(): void;
  stop(): void;
}

/**
 * A TCP proxy in front of Redis, to play a network partition between the nodes started on its url
 * and Redis (the other nodes reach Redis directly).
 */
export function redisProxy(redis: TestRedis): RedisProxy {
  /** queue: what waits to be written to this socket; early: what it sent before its peer was connected. */
  type Side = { peer: Bun.Socket<Side> | null; queue: Uint8Array[]; early: Uint8Array[] };
  const pairs = new Set<Bun.Socket<Side>>();
  const write = (s: Bun.Socket<Side>, data: Uint8Array) => {
    if (s.data.queue.length) return void s.data.queue.push(data);
    const n = s.write(data);
    if (n < data.length) s.data.queue.push(data.subarray(n));
  };
  const flush = (s: Bun.Socket<Side>) => {
    while (s.data.queue.length) {
      const d = s.data.queue[0]!;
      const n = s.write(d);
      if (n < d.length) return void (s.data.queue[0] = d.subarray(n));
      s.data.queue.shift();
    }
  };
  const handlers = {
    data: (s: Bun.Socket<Side>, d: Uint8Array) => {
      if (s.data.peer) write(s.data.peer, new Uint8Array(d));
      else s.data.early.push(new Uint8Array(d));
    },
    drain: flush,
    close: (s: Bun.Socket<Side>) => {
      pairs.delete(s);
      s.data.peer?.end();
    },
    error: () => {},
  };
  const listen = (port: number) =>
    Bun.listen<Side>({
      hostname: "127.0.0.1",
      port,
      socket: {
        ...handlers,
        open(client) {
          client.data = { peer: null, queue: [], early: [] };
          pairs.add(client);
          void Bun.connect<Side>({ hostname: "127.0.0.1", port: redis.port, data: { peer: client, queue: [], early: [] }, socket: handlers }).then(
            (up) => {
              pairs.add(up);
              client.data.peer = up;
              for (const d of client.data.early.splice(0)) write(up, d);
            },
            () => client.end(),
          );
        },
      },
    });
  // Cut off: nothing listens on the port (connections are refused, as across a partition that
  // answers with resets); healed: the same port again.
  let server: ReturnType<typeof listen> | null = listen(0);
  const port = server.port;
  const dropAll = () => {
    for (const s of [...pairs]) s.end();
    pairs.clear();
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    cut: () => {
      server?.stop(true);
      server = null;
      dropAll();
    },
    heal: () => void (server ??= listen(port)),
    stop: () => {
      server?.stop(true);
      server = null;
      dropAll();
    },
  };
}
