// Lazy access to ffi.ts: the dynamic import keeps dlopen of libc off the start-up path, so hosts
// that never open a device never load it (docs/architecture.md#serial-driver-notes). (In the
// compiled binary the bundler hoists ffi.ts's `import ... from "bun:ffi"`: Bun's built-in module is
// loaded at start, which does nothing by itself; ffi.ts's code, and so dlopen, still runs only on
// the first open.)
import type { Sys } from "./ffi.ts";
export type { Sys } from "./ffi.ts";

let loading: Promise<Sys> | null = null;
export function loadSys(): Promise<Sys> {
  loading ??= import("./ffi.ts").then((m) => m.getSys());
  // A failed load is not cached: the error is reported per open, and a later attempt retries.
  loading.catch(() => (loading = null));
  return loading;
}

export const isSysError = (e: unknown): e is Error & { errno: number; call: string } =>
  e instanceof Error && typeof (e as { errno?: unknown }).errno === "number";
