// Several nodes (docs/cluster.md#watch-party): the messages between the node that holds a
// socket and the node that holds its room. They travel on the node channels, so everything one
// node says to another arrives in the order it was said: a participant's frames in the order it
// sent them, and the room's replies, seats and relays in the order the room made them.

/** What the watch party needs of the cluster's node messages (NodeMessages has it). */
export interface NodeLink {
  readonly nodeId: string;
  send(node: string, kind: string, payload: unknown): void;
  on<P>(kind: string, fn: (payload: P, from: string) => unknown): void;
}

/** Socket's node → room's node. c: the socket's id on its node. */
export interface FrameMsg {
  c: number;
  /** The client id the socket is bound to (docs/syncparty.md#binding), kept by the socket's node. */
  b: string | null;
  /** The frame as the client sent it. */
  t: string;
  /** Numbers the socket's frames, so one sent again after a Redis restart is handled once. */
  s: number;
}
/** The socket closed, or moved to a room elsewhere: forget it. */
export interface LeaveMsg {
  c: number;
}
/** The sockets of the sender that sit in (or talk to) rooms of the receiver; the rest are gone. */
export interface RosterMsg {
  c: number[];
}

/** Room's node → socket's node: frame s is handled; b: the binding now; r: the room it sits in there. */
export interface DoneMsg {
  c: number;
  s: number;
  b: string | null;
  r: string | null;
}
export interface SendMsg {
  c: number;
  d: string;
}
export interface CloseMsg {
  c: number;
  code: number;
  reason: string;
}
/** The socket took a seat (sub) or left it (unsub): t is the room's topic. */
export interface SeatMsg {
  c: number;
  t: string;
}
/** A room message for every socket of the receiver in topic t, but socket x. */
export interface FanMsg {
  t: string;
  d: string;
  x?: number;
}
/** Answer to a roster: these sockets have nothing here. */
export interface MissingMsg {
  c: number[];
}

export const K = {
  frame: "party:frame",
  leave: "party:leave",
  roster: "party:roster",
  done: "party:done",
  send: "party:send",
  close: "party:close",
  sub: "party:sub",
  unsub: "party:unsub",
  fan: "party:fan",
  missing: "party:missing",
  /** Send me your roster, and any frame of yours I have not answered (after a Redis restart). */
  ask: "party:ask",
} as const;
