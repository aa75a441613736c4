// WebSocket close codes used across the server (RFC 6455 section 7.4.1, plus the 4000-4999 private
// range; their meaning for clients: docs/common.md#close-codes).
export const Close = {
  normal: 1000,
  goingAway: 1001, // server shutting down
  policy: 1008, // rate limit: the connection's queue of waiting messages is full
  tooBig: 1009, // frame larger than the endpoint's limit
  internal: 1011, // a handler threw: a bug, logged
  nodeGone: 1012, // several nodes: the node this socket's state lived on is gone or out of reach; reconnect
  replaced: 4001, // the same identity connected again on another socket
} as const;
