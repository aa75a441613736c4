// A redis-server for the cluster scenario (docs/bench.md#x1-across-nodes): Debian's, on a free
// port of 127.0.0.1, nothing saved to disk. Installed with apt-get when it is missing.
import { RedisClient } from "bun";
import { freePort } from "./proc.ts";

export interface BenchRedis {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<BenchRedis> {
  if (!Bun.which("redis-server")) {
    const apt = Bun.spawnSync(["sh", "-c", "apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server"], { stdout: "ignore", stderr: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    if (apt.exitCode !== 0 || !Bun.which("redis-server")) throw new Error("redis-server is not installed and `apt-get install redis-server` failed");
  }
  const port = await freePort();
  const proc = Bun.spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdout: "ignore", stderr: "ignore" });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const probe = new RedisClient(url, { autoReconnect: false, connectionTimeout: 500 });
    try {
      await probe.connect();
      await probe.send("PING", []);
      probe.close();
      break;
    } catch {
      probe.close();
      if (i > 100) throw new Error("redis-server did not start");
      await Bun.sleep(50);
    }
  }
  return {
    url,
    pid: proc.pid,
    stop: async () => {
      proc.kill();
      await proc.exited;
    },
  };
}
