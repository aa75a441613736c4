// Every protocol served on the one port. Each entry lives in its own folder (DESIGN.md).
import type { ProtocolFactory } from "./types.ts";
import { syncparty } from "./syncparty/plugin.ts";

export const protocols: ProtocolFactory[] = [syncparty];
