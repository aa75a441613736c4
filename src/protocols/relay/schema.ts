// Payloads of the relay's client events (PROTOCOLS.md §4), validated with compiled TypeBox schemas.
import { Type, type Static } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";

/** §4: a non-empty string of at most 64 characters of [A-Za-z0-9_-]. */
export const MonitorId = Type.String({ pattern: "^[A-Za-z0-9_-]{1,64}$" });
export type MonitorId = Static<typeof MonitorId>;

export const MonitorRef = Type.Object({ monitor_id: MonitorId });
export type MonitorRef = Static<typeof MonitorRef>;

/** §4: a non-empty string of at most 4096 characters. */
export const CommandSend = Type.Object({ command: Type.String({ minLength: 1, maxLength: 4096 }) });
export type CommandSend = Static<typeof CommandSend>;

/** Correlation ids are server-issued strings; a number is accepted for clients that parsed one. */
const CommandId = Type.Union([Type.String({ minLength: 1, maxLength: 128 }), Type.Number()]);

export const CommandDone = Type.Object({ id: Type.Optional(CommandId) });
export type CommandDone = Static<typeof CommandDone>;

export const CommandError = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 4096 })), id: Type.Optional(CommandId) });
export type CommandError = Static<typeof CommandError>;

export const checkMonitorRef = TypeCompiler.Compile(MonitorRef);
export const checkCommandSend = TypeCompiler.Compile(CommandSend);
export const checkCommandDone = TypeCompiler.Compile(CommandDone);
export const checkCommandError = TypeCompiler.Compile(CommandError);
