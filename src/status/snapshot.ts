// One snapshot of the operator status feed (docs/pages.md#the-status-feed): the server's own
// numbers and each protocol plugin's status(), under the plugin's name. Pure: everything is
// read through the functions given.
import type { ServerStatus, StatusSnapshot } from "../pages/lib/status-types.ts";
import type { ProtocolPlugin } from "../protocols/types.ts";

export interface SnapshotSources {
  plugins: readonly Pick<ProtocolPlugin, "name" | "status">[];
  /** The server's part, read now. */
  server(): ServerStatus;
  now(): number;
  /** A plugin's status() threw (a bug): its key is left out of this snapshot. */
  onError?(plugin: string, err: unknown): void;
}

export async function takeSnapshot(src: SnapshotSources): Promise<StatusSnapshot> {
  const parts = await Promise.all(
    src.plugins.map(async (p) => {
      if (!p.status) return null;
      try {
        return [p.name, await p.status()] as const;
      } catch (err) {
        src.onError?.(p.name, err);
        return null;
      }
    }),
  );
  const out: Record<string, unknown> = { ts: src.now(), server: src.server() };
  for (const part of parts) if (part) out[part[0]] = part[1];
  return out as unknown as StatusSnapshot;
}
