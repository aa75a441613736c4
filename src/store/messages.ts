// What the main thread and the database worker say to each other (docs/architecture.md#data).
// Values cross by structured clone, which keeps bigint, Map and Uint8Array.

/** A call of one method of one domain's store, living in the worker. */
export interface CallMessage {
  type: "call";
  id: number;
  domain: string;
  method: string;
  args: unknown[];
}

export type ToWorker = { type: "open"; path: string } | CallMessage | { type: "close" };

/** A failure, as the main thread sees it: SQLite's code (SQLITE_FULL, SQLITE_IOERR…) when it has one. */
export interface WireError {
  name: string;
  code: string | null;
  message: string;
}

/** facts: each domain's small numbers that the main thread reads without a call (gauges). */
export type ToMain =
  | { type: "ready"; facts: Record<string, Record<string, unknown>> }
  | { type: "failed"; error: WireError }
  | { type: "log"; level: "info" | "warn" | "error"; msg: string; fields: Record<string, unknown> }
  | { type: "result"; id: number; ok: true; value: unknown; facts: Record<string, unknown> | null; domain: string }
  | { type: "result"; id: number; ok: false; error: WireError; facts: Record<string, unknown> | null; domain: string }
  | { type: "closed" };

export const wireError = (err: unknown): WireError => {
  const e = err as { name?: string; code?: unknown; message?: string };
  return { name: e?.name ?? "Error", code: typeof e?.code === "string" ? e.code : null, message: e?.message ?? String(err) };
};
