// Payloads of the relay's client events (docs/socketio.md#events), checked with compiled schemas.
import { Type, type Static } from "@sinclair/typebox";
import { compileOnUse } from "../../schema.ts";

/** A non-empty string of at most 64 characters of [A-Za-z0-9_-] (docs/socketio.md#user). */
export const MonitorId = Type.String({ pattern: "^[A-Za-z0-9_-]{1,64}$" });
export type MonitorId = Static<typeof MonitorId>;

export const MonitorRef = Type.Object({ monitor_id: MonitorId });
export type MonitorRef = Static<typeof MonitorRef>;

/**
 * A non-empty string of at most 4096 characters (docs/socketio.md#user). Characters are Unicode
 * code points (what python's len() counts): TypeBox's maxLength counts UTF-16 units, so it only
 * bounds the string at two units per character and commandLengthOk makes the exact check.
 */
export const MAX_COMMAND_CHARS = 4096;
export const CommandSend = Type.Object({ command: Type.String({ minLength: 1, maxLength: 2 * MAX_COMMAND_CHARS }) });
export type CommandSend = Static<typeof CommandSend>;

export function commandLengthOk(command: string): boolean {
  if (command.length <= MAX_COMMAND_CHARS) return true;
  let n = 0;
  for (const _ of command) if (++n > MAX_COMMAND_CHARS) return false;
  return true;
}

/** Correlation ids are server-issued strings; a number is accepted for clients that parsed one. */
const CommandId = Type.Union([Type.String({ minLength: 1, maxLength: 128 }), Type.Number()]);

export const CommandDone = Type.Object({ id: Type.Optional(CommandId) });
export type CommandDone = Static<typeof CommandDone>;

export const CommandError = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 4096 })), id: Type.Optional(CommandId) });
export type CommandError = Static<typeof CommandError>;

export const checkMonitorRef = compileOnUse(MonitorRef);
export const checkCommandSend = compileOnUse(CommandSend);
export const checkCommandDone = compileOnUse(CommandDone);
export const checkCommandError = compileOnUse(CommandError);
