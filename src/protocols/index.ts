// Every protocol served on the one port. Each entry lives in its own folder
// (docs/architecture.md#codec-state-errors-and-plugin).
import { buzzer } from "./buzzer/plugin.ts";
import { clickerProtocol } from "./clicker/plugin.ts";
import { metronomeProtocol } from "./metronome/plugin.ts";
import { socketioProtocol } from "./socketio/plugin.ts";
import { syncparty } from "./syncparty/plugin.ts";
import type { ProtocolFactory } from "./types.ts";

export const protocols: ProtocolFactory[] = [metronomeProtocol, syncparty, clickerProtocol, socketioProtocol, buzzer];
