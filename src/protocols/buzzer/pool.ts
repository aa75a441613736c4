// A pool as the mediator sees its driver (docs/buzzer.md#pools): what the driver reports
// (PoolSink), what the mediator can ask of it (PoolHandle), and the pool spec of --pool and connect.
import type { Rgb } from "./codec.ts";

/** What a pool driver reports. */
export interface PoolSink {
  /** Linked (handshake done / device open): these buzzers are connected now. */
  up(buzzers: number[]): void;
  /** The link went down; the driver keeps trying to bring it back. */
  down(reason: string): void;
  /** A press; `pressedAt` is its press time (server monotonic ms) when the device knows it better than the read (a keyboard's kernel time). */
  buzz(buzzer: number, pressedAt?: number): void;
  connected(buzzer: number): void;
  disconnected(buzzer: number): void;
  /** An attempt to open the device failed (message in the original protocol's words, for connect errors). */
  failed(message: string): void;
}

export interface PoolHandle {
  /** Whether the pool's buzzers have lights (serial receivers do, keyboards do not). */
  readonly colors: boolean;
  setColor(buzzer: number, rgb: Rgb): boolean;
  close(): void | Promise<void>;
}

/**
 * A pool spec is a pool id (a device path) with an optional suffix: "#v2" for the renumbered
 * firmware, "#head" for the firmware as last committed (docs/buzzer.md#firmware-versions),
 * "#keyboard" for an evdev device outside /dev/input (a udev symlink). Paths under
 * /dev/input/ are keyboards anyway. The pool id reported to clients never has the suffix.
 */
export interface PoolSpec {
  id: string;
  kind: "serial" | "keyboard";
  numbering: "v1" | "v2" | "head";
}
export function parsePoolSpec(spec: string): PoolSpec {
  const m = /^(.*)#(v1|v2|head|keyboard)$/.exec(spec);
  const id = m ? m[1]! : spec;
  const kind = m?.[2] === "keyboard" || id.startsWith("/dev/input/") ? "keyboard" : "serial";
  const numbering = m?.[2] === "v2" || m?.[2] === "head" ? m[2] : "v1";
  return { id, kind, numbering };
}

export type OpenPool = (spec: PoolSpec, sink: PoolSink) => PoolHandle;
