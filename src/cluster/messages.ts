// Messages addressed to one node (docs/cluster.md#routing): each node listens on its own channel.
// Used where the socket a message is for lives on another node: a command for a monitor, the
// result for its user, a takeover (4001) of an id held elsewhere, a command for a buzzer pool.

export const NODE_PREFIX = "sb:n:";

interface Envelope {
  k: string;
  f: string;
  p: unknown;
  /** A request's id; a reply carries it as `r`. */
  q?: number;
  r?: number;
  e?: string;
}

export interface MessageLink {
  subscribe(channel: string): void;
  publish(channel: string, message: string): void;
}

export class NodeMessages {
  private readonly handlers = new Map<string, (payload: any, from: string) => unknown>();
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; timer: ReturnType<typeof setTimeout> }>();

  constructor(readonly nodeId: string, private readonly link: MessageLink) {
    link.subscribe(NODE_PREFIX + nodeId);
  }

  /** Handle messages of this kind (a request's reply is what the handler returns or resolves to). */
  on<P>(kind: string, fn: (payload: P, from: string) => unknown): void {
    this.handlers.set(kind, fn as (payload: unknown, from: string) => unknown);
  }

  send(node: string, kind: string, payload: unknown): void {
    this.link.publish(NODE_PREFIX + node, JSON.stringify({ k: kind, f: this.nodeId, p: payload } satisfies Envelope));
  }

  /** A message that waits for the other node's answer (rejects after timeoutMs). */
  request<T>(node: string, kind: string, payload: unknown, timeoutMs = 2000): Promise<T> {
    const q = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(q);
        reject(new Error(`node ${node} did not answer ${kind} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(q, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.link.publish(NODE_PREFIX + node, JSON.stringify({ k: kind, f: this.nodeId, p: payload, q } satisfies Envelope));
    });
  }

  /** A message on a node channel, from Redis. */
  receive(channel: string, message: string): boolean {
    if (channel !== NODE_PREFIX + this.nodeId) return false;
    let m: Envelope;
    try {
      m = JSON.parse(message) as Envelope;
    } catch {
      return true;
    }
    if (m.r !== undefined) {
      const w = this.waiting.get(m.r);
      if (!w) return true;
      this.waiting.delete(m.r);
      clearTimeout(w.timer);
      if (m.e !== undefined) w.reject(new Error(m.e));
      else w.resolve(m.p);
      return true;
    }
    const fn = this.handlers.get(m.k);
    const answer = (p: unknown, e?: string) => {
      if (m.q !== undefined) this.link.publish(NODE_PREFIX + m.f, JSON.stringify({ k: m.k, f: this.nodeId, p, r: m.q, e } satisfies Envelope));
    };
    if (!fn) return answer(null, `no handler for ${m.k}`), true;
    Promise.resolve()
      .then(() => fn(m.p, m.f))
      .then(
        (v) => answer(v ?? null),
        (e: Error) => answer(null, e.message),
      );
    return true;
  }

  stop(): void {
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(new Error("node stopping"));
    }
    this.waiting.clear();
  }
}
