// The one reader of argv and the environment. Precedence: defaults < SWITCHBOARD_* env < flags.
// Every option is described once, in the schema; --help, env names and validation all derive from it.
import { parseArgs } from "node:util";
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

const Int = (def: number, min: number, max: number, description: string) =>
  Type.Integer({ default: def, minimum: min, maximum: max, description });
const Str = (def: string, description: string) => Type.String({ default: def, description });

export const Config = Type.Object(
  {
    host: Str("0.0.0.0", "Address to listen on."),
    port: Int(8080, 0, 65535, "TCP port for HTTP and every WebSocket endpoint (0 picks a free one)."),
    dataDir: Str("./switchboard-data", "Folder for the embedded SQLite database (created if missing)."),
    logLevel: Type.Union([Type.Literal("debug"), Type.Literal("info"), Type.Literal("warn"), Type.Literal("error")], {
      default: "info",
      description: "Least severe log level printed: debug, info, warn or error.",
    }),
    logFormat: Type.Union([Type.Literal("auto"), Type.Literal("json"), Type.Literal("text")], {
      default: "auto",
      description: "Log line format: json, text, or auto (text on a terminal, JSON lines otherwise).",
    }),
    maxFrameBytes: Int(65536, 16, 16 * 1024 * 1024, "Largest WebSocket frame accepted on the JSON/text endpoints; larger closes with 1009."),
    rateLimit: Int(50, 1, 1_000_000, "Messages per second each connection may send (sustained)."),
    rateBurst: Int(100, 1, 1_000_000, "Messages a connection may send in a burst above the sustained rate."),
    pingIntervalMs: Int(30000, 100, 3_600_000, "How often the server pings each WebSocket client (ms)."),
    idleTimeoutMs: Int(60000, 200, 7_200_000, "Close a WebSocket that has sent nothing, not even a pong, for this long (ms)."),
    backpressureBytes: Int(1024 * 1024, 1024, 1024 * 1024 * 1024, "Bytes queued for one slow client before it is disconnected."),
    metronomeLeadMs: Int(1000, 0, 60000, "Metronome: how far ahead of 'now' the first beat of a start is scheduled (ms)."),
    jwtSecret: Str("", "Watch party: HS256 secret; when set, creating a room needs a JWT and joining needs a JWT or an invite."),
    jwtAudience: Str("", "Watch party: required JWT 'aud' (empty = not checked)."),
    jwtIssuer: Str("", "Watch party: required JWT 'iss' (empty = not checked)."),
    roomGraceMs: Int(30000, 0, 86_400_000, "Watch party: how long an empty room is kept for its host to come back (ms)."),
    roomMaxParticipants: Int(100, 1, 100000, "Watch party: participants per room."),
    sioToken: Str("", "Socket.IO relay: sets both --sio-monitor-token and --sio-user-token (each of them, when set, wins)."),
    sioMonitorToken: Str("", "Socket.IO relay: when set, only clients that send auth {token} with this value may register a monitor (con)."),
    sioUserToken: Str("", "Socket.IO relay: when set, only clients that send auth {token} with this value may query monitors and send commands."),
    sioPingIntervalMs: Int(25000, 50, 3_600_000, "Socket.IO: Engine.IO pingInterval (ms)."),
    sioPingTimeoutMs: Int(20000, 50, 3_600_000, "Socket.IO: Engine.IO pingTimeout (ms)."),
    sioMaxPayload: Int(1_000_000, 1024, 64 * 1024 * 1024, "Socket.IO: Engine.IO maxPayload (bytes per HTTP body or WebSocket frame)."),
    corsOrigin: Type.Array(Type.String(), {
      default: ["*"],
      description: "Socket.IO: origins allowed by CORS (repeatable; '*' allows any).",
    }),
    pool: Type.Array(Type.String(), {
      default: [],
      description: "Buzzer: a pool to connect at start (serial device or /dev/input/event*); repeatable. Append '#v2' for the renumbered receiver firmware, '#keyboard' for an evdev device outside /dev/input.",
    }),
    serialBaud: Int(9600, 50, 4_000_000, "Buzzer: serial speed for receivers."),
  },
  { additionalProperties: false },
);
export type Config = Static<typeof Config>;

type Key = keyof Config & string;
const keys = Object.keys(Config.properties) as Key[];

const flagName = (k: string) => k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
const envName = (k: string) => "SWITCHBOARD_" + k.replace(/[A-Z]/g, (c) => "_" + c).toUpperCase();
const schemaOf = (k: Key) => Config.properties[k] as TSchema;
const isList = (k: Key) => schemaOf(k).type === "array";

export const defaults = (): Config => Value.Create(Config) as Config;

export type ConfigResult =
  | { kind: "run"; config: Config }
  | { kind: "help"; text: string }
  | { kind: "version" }
  | { kind: "print"; config: Config }
  | { kind: "invalid"; errors: string[] };

/** Parse flags and environment into a validated Config. Pure: never exits or prints. */
export function loadConfig(argv: string[], env: Record<string, string | undefined>): ConfigResult {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> = {
    help: { type: "boolean", short: "h" },
    version: { type: "boolean", short: "v" },
    "print-config": { type: "boolean" },
  };
  for (const k of keys) options[flagName(k)] = { type: "string", multiple: isList(k) };

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (e) {
    return { kind: "invalid", errors: [(e as Error).message] };
  }
  const flags = parsed.values as Record<string, string | string[] | boolean | undefined>;
  if (flags.help) return { kind: "help", text: helpText() };
  if (flags.version) return { kind: "version" };

  const raw: Record<string, unknown> = {};
  const source: Record<string, string> = {};
  for (const k of keys) {
    const e = env[envName(k)];
    if (e !== undefined && e !== "") {
      raw[k] = isList(k) ? e.split(",").map((s) => s.trim()).filter(Boolean) : e;
      source[k] = envName(k);
    }
    const f = flags[flagName(k)];
    if (f !== undefined) {
      raw[k] = f;
      source[k] = "--" + flagName(k);
    }
  }
  const value = Value.Default(Config, Value.Convert(Config, raw));
  const errors = [...Value.Errors(Config, value)].map((err) => {
    const k = err.path.split("/")[1] as Key;
    const where = source[k] ?? "--" + flagName(k);
    return `${where}: ${err.message} (got ${JSON.stringify(err.value)})`;
  });
  if (errors.length) return { kind: "invalid", errors };
  const config = value as Config;
  // Keepalive (PROTOCOLS.md common rules): the idle close must come after a ping had its chance,
  // or every quiet client that answers pings is still dropped.
  if (config.idleTimeoutMs <= config.pingIntervalMs) {
    const name = (k: Key) => source[k] ?? "--" + flagName(k);
    return { kind: "invalid", errors: [`${name("idleTimeoutMs")} (${config.idleTimeoutMs}) must be longer than ${name("pingIntervalMs")} (${config.pingIntervalMs})`] };
  }
  return flags["print-config"] ? { kind: "print", config } : { kind: "run", config };
}

export function helpText(): string {
  const lines = [
    "Usage: switchboard [options]",
    "",
    "One port, five realtime WebSocket protocols. Every option can also be set with",
    "the environment variable shown (flags win over the environment).",
    "",
    "  -h, --help            Show this help and exit.",
    "  -v, --version         Print the version and exit.",
    "      --print-config    Print the resulting configuration as JSON and exit.",
    "",
  ];
  for (const k of keys) {
    const s = schemaOf(k);
    const def = JSON.stringify(s.default);
    lines.push(`  --${flagName(k)}${isList(k) ? " (repeatable)" : ""}`);
    lines.push(`      ${s.description} [env ${envName(k)}, default ${def}]`);
  }
  return lines.join("\n");
}

export const optionTable = () => keys.map((k) => ({ flag: "--" + flagName(k), env: envName(k), default: schemaOf(k).default, description: schemaOf(k).description as string }));

/** Options whose values are secrets: shown as "(set)" by --print-config, never printed. */
const secretKeys: Key[] = ["jwtSecret", "sioToken", "sioMonitorToken", "sioUserToken"];

/** The configuration as --print-config shows it: secrets replaced by "(set)" when present. */
export function printable(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const k of secretKeys) if (config[k]) out[k] = "(set)";
  return out;
}
