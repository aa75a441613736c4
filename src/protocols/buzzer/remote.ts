// Several nodes (docs/cluster.md#buzzer): commands run on another node for a socket of this one.
// A command for a pool goes to the node its device is plugged into, a game command or a phone's
// press to the leader; that node runs it for a stand-in connection (RemoteConn) whose replies
// come back on the node channels, and this node sends them on to the socket. The node channels
// keep what one node says to another in order, and a node's replies travel on the same Redis
// connection as its events, so a reply still comes before the events its command caused.
import type { Logger } from "../../log.ts";
import type { Conn } from "../../transport/types.ts";
import type { Command } from "./codec.ts";
import type { MediatorClient } from "./state.ts";
import { retime, type WallClock } from "./wall.ts";

/** What the buzzer needs of the cluster's node messages (NodeMessages has it). */
export interface NodeLink {
  readonly nodeId: string;
  send(node: string, kind: string, payload: unknown): void;
  on<P>(kind: string, fn: (payload: P, from: string) => unknown): void;
}

export const K = {
  /** Run command m for socket c of the sender (s numbers the sender's commands). */
  cmd: "buzzer:cmd",
  /** A phone's press for the leader's game: buzzer b pressed at wall-clock w. */
  phone: "buzzer:phone",
  /** The frame d for socket c, the answer to command s, with the sender's clock offset o. */
  reply: "buzzer:reply",
  /** Close socket c (its command failed on the other node: a bug there). */
  close: "buzzer:close",
  /** Socket c closed: forget its stand-in. */
  end: "buzzer:end",
  /** A device's press for the leader's game (pool p, buzzer b, wall-clock w); no answer. */
  press: "buzzer:press",
  /** A phone's new name for the leader's game. */
  rename: "buzzer:rename",
  /** Socket c no longer plays its phone: another connection took it over. */
  drop: "buzzer:drop",
} as const;

export interface CmdMsg {
  c: number;
  s: number;
  m: Command;
}
export interface PhoneMsg {
  c: number;
  s: number;
  b: number;
  w: number;
}
export interface ReplyMsg {
  c: number;
  s: number;
  d: string;
  o: number;
}
export interface CloseMsg {
  c: number;
  code: number;
  reason: string;
}
export interface PressMsg {
  p: string;
  b: number;
  w: number;
}
export interface RenameMsg {
  p: string;
  b: number;
  n: string | null;
}
export interface ConnMsg {
  c: number;
}

/** Stand-in connections have negative ids, so they never meet a socket's id in a map. */
let standIns = 0;

/**
 * A socket of another node, as the rules of this node see it while they run its command: what
 * they send it goes back to that node. Operator rights were checked on the socket's node.
 */
export class RemoteConn<S = unknown> implements Conn<S> {
  readonly id = --standIns;
  readonly operator = true;
  state = undefined as S;
  /** The command being answered. */
  s = 0;

  constructor(readonly node: string, readonly c: number, private readonly link: NodeLink, private readonly wall: WallClock, private readonly log: Logger) {}

  send(data: string | Uint8Array): void {
    const d = typeof data === "string" ? data : new TextDecoder().decode(data);
    this.link.send(this.node, K.reply, { c: this.c, s: this.s, d, o: this.wall.offset() } satisfies ReplyMsg);
  }
  post(data: string): void {
    this.send(data);
  }
  close(code: number, reason = ""): void {
    this.link.send(this.node, K.close, { c: this.c, code, reason } satisfies CloseMsg);
  }
  // Stand-ins get no events: the socket's own node delivers them.
  subscribe(): void {}
  unsubscribe(): void {}
  publishOthers(): void {}
  cork(fn: () => void): void {
    fn();
  }
  watch(work: Promise<unknown>): void {
    work.catch((err: unknown) => {
      this.log.error("buzzer command for another node failed", { node: this.node, conn: this.c, err: err as Error });
      this.close(1011, "internal error");
    });
  }
}

/** A command of a socket here, waiting for another node's answer. */
export interface Call {
  conn: Conn;
  node: string;
  s: number;
  /** The answer came: sent to the socket. */
  done(): void;
  /** No answer (that node is gone, out of reach, or too slow): what to do instead. */
  lost(): void;
  cancel(): void;
}

export interface CallsDeps {
  link: NodeLink;
  wall: WallClock;
  setTimer(ms: number, fn: () => void): () => void;
}

/** The calls of this node's sockets waiting for other nodes, at most one per socket. */
export class Calls {
  private readonly waiting = new Map<number, Call>();
  /** The nodes each socket has sent commands to (they keep a stand-in for it until it closes). */
  private readonly routed = new Map<number, Set<string>>();
  private seq = 0;

  constructor(private readonly deps: CallsDeps) {}

  /** Send `kind` for conn to node; resolves once the answer was sent to conn, or `lost` ran. */
  call(conn: Conn, node: string, kind: string, payload: Omit<CmdMsg, "c" | "s"> | Omit<PhoneMsg, "c" | "s">, timeoutMs: number, lost: () => void): Promise<void> {
    return new Promise<void>((resolve) => {
      const s = ++this.seq;
      const end = () => {
        cancelTimer();
        if (this.waiting.get(conn.id) === call) this.waiting.delete(conn.id);
        resolve();
      };
      const cancelTimer = this.deps.setTimer(timeoutMs, () => call.lost());
      const call: Call = {
        conn,
        node,
        s,
        done: end,
        lost: () => {
          if (this.waiting.get(conn.id) !== call) return;
          end();
          lost();
        },
        cancel: end,
      };
      this.waiting.set(conn.id, call);
      let nodes = this.routed.get(conn.id);
      if (!nodes) this.routed.set(conn.id, (nodes = new Set()));
      nodes.add(node);
      this.deps.link.send(node, kind, { ...payload, c: conn.id, s });
    });
  }

  /** An answer from another node. */
  answer(m: ReplyMsg, from: string): void {
    const call = this.waiting.get(m.c);
    if (!call || call.node !== from || call.s !== m.s) return; // late: the call was given up
    call.conn.send(retime(m.d, m.o - this.deps.wall.offset()));
    call.done();
  }

  /** The socket closed: its call ends without an answer. Returns the nodes to tell. */
  drop(conn: Conn): string[] {
    this.waiting.get(conn.id)?.cancel();
    const nodes = this.routed.get(conn.id);
    this.routed.delete(conn.id);
    return nodes ? [...nodes] : [];
  }

  /** A node is gone: it keeps no stand-ins for anyone any more. */
  forgetNode(node: string): void {
    for (const nodes of this.routed.values()) nodes.delete(node);
  }

  /** Calls to a node (or, null, to every node) that will not be answered. */
  lose(node: string | null): void {
    for (const call of [...this.waiting.values()]) if (node === null || call.node === node) call.lost();
  }

  get size(): number {
    return this.waiting.size;
  }
}

export interface StandInsDeps {
  link: NodeLink;
  wall: WallClock;
  log: Logger;
  calls: Calls;
  open(conn: RemoteConn<MediatorClient>): MediatorClient;
  close(mc: MediatorClient): void;
}

/** The stand-ins of other nodes' sockets that sent this node commands, until they close or their node goes. */
export class StandIns {
  private readonly all = new Map<string, MediatorClient>();

  constructor(private readonly deps: StandInsDeps) {}

  /** Socket c of node, answering its command s. */
  get(node: string, c: number, s: number): MediatorClient {
    const key = `${c}@${node}`;
    let mc = this.all.get(key);
    if (!mc) {
      const conn = new RemoteConn<MediatorClient>(node, c, this.deps.link, this.deps.wall, this.deps.log);
      mc = this.deps.open(conn);
      conn.state = mc;
      this.all.set(key, mc);
    }
    (mc.conn as RemoteConn).s = s;
    return mc;
  }

  /** Socket c of node closed: its stand-in goes (and the nodes it sent commands on to are told). */
  end(node: string, c: number): void {
    const key = `${c}@${node}`;
    const mc = this.all.get(key);
    if (!mc) return;
    this.all.delete(key);
    for (const n of this.deps.calls.drop(mc.conn)) this.deps.link.send(n, K.end, { c: mc.conn.id } satisfies ConnMsg);
    this.deps.close(mc);
  }

  /** A node is gone (or, null, this node was cut off): its stand-ins go. */
  endAll(node: string | null): void {
    for (const mc of [...this.all.values()]) {
      const conn = mc.conn as RemoteConn;
      if (node === null || conn.node === node) this.end(conn.node, conn.c);
    }
  }

  byId(id: number): Conn | undefined {
    for (const mc of this.all.values()) if (mc.conn.id === id) return mc.conn;
    return undefined;
  }
}
