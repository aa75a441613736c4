// A Lua script run on Redis: one atomic step over several keys. Sent with its source every time
// (EVAL; Redis keeps the compiled script in its cache): an EVALSHA refused after a Redis restart
// would have to be sent again, behind commands sent after it, and the steps of one node must reach
// Redis in the order it took them.

export interface ScriptRedis {
  send(command: string, args: string[]): Promise<any>;
}

export class RedisScript {
  constructor(readonly source: string) {}

  run<T = unknown>(redis: ScriptRedis, keys: string[], args: string[]): Promise<T> {
    return redis.send("EVAL", [this.source, String(keys.length), ...keys, ...args]);
  }
}
