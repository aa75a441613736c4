// The metronome's error catalogue (docs/metronome.md#json-rpc-errors, #domain-errors): JSON-RPC
// error objects for malformed traffic, and the domain messages of {"status":"error","message"}.
import { RATE_LIMITED_TEXT } from "../../transport/rate.ts";

/** Standard error codes (JSON-RPC 2.0 section 5.1) plus the server-defined one this project uses (-32000..-32099). */
export const RpcCode = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  rateLimited: -32005,
} as const;

const standardMessage: Record<number, string> = {
  [RpcCode.parseError]: "Parse error",
  [RpcCode.invalidRequest]: "Invalid Request",
  [RpcCode.methodNotFound]: "Method not found",
  [RpcCode.invalidParams]: "Invalid params",
  [RpcCode.internalError]: "Internal error",
  [RpcCode.rateLimited]: RATE_LIMITED_TEXT,
};

export interface RpcError {
  code: number;
  message: string;
  data?: unknown;
}

export const rpcError = (code: number, data?: string): RpcError =>
  data === undefined ? { code, message: standardMessage[code] ?? "Server error" } : { code, message: standardMessage[code] ?? "Server error", data };


/** The exact domain messages (docs/metronome.md#domain-errors). */
export const Msg = {
  noId: "call get_id first",
  noGroup: "group is not exist",
  notOwner: "only the group owner can control the metronome",
  /** Several nodes: the shared state (Redis) did not answer in time (docs/cluster.md#metronome). */
  unavailable: "server busy, try again",
} as const;
