// The one reader of argv and the environment. Precedence: defaults < SWITCHBOARD_* env < flags.
// Every option is described once, in the schema; --help, env names and validation all derive from it.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { badNet } from "./access/client-ip.ts";

const Int = (def: number, min: number, max: number, description: string) =>
  Type.Integer({ default: def, minimum: min, maximum: max, description });
const Str = (def: string, description: string) => Type.String({ default: def, description });
const flagName = (k: string) => k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());

const List = (def: string[], description: string) => Type.Array(Type.String(), { default: def, description });

/**
 * A secret (a token, a signing key): it also gets a `…File` option right after it (the value read
 * from a file, so it is not visible in /proc/PID/cmdline), a value given as a flag is warned
 * about, and --print-config shows "(set)" instead of it.
 */
const Secret = (description: string, opts: { warnIf?: (value: string) => boolean } = {}) =>
  Type.String({ default: "", description, secret: true, ...opts }) as ReturnType<typeof Str> & { secret: true };

/** Adds each secret's `…File` option after it, keeping the order of --help. */
function withSecretFiles<P extends Record<string, TSchema>>(props: P) {
  const out: Record<string, TSchema> = {};
  for (const [k, v] of Object.entries(props)) {
    out[k] = v;
    if (v.secret) out[`${k}File`] = Str("", `File holding the value of --${flagName(k)} (a trailing newline is ignored).`);
  }
  return out as P & { [K in keyof P as P[K] extends { secret: true } ? `${K & string}File` : never]: ReturnType<typeof Str> };
}

export const Config = Type.Object(
  withSecretFiles({
    host: Str("0.0.0.0", "Address to listen on."),
    port: Int(8080, 0, 65535, "TCP port for HTTP and every WebSocket endpoint (0 picks a free one)."),
    dataDir: Str("./switchboard-data", "Folder for the embedded SQLite database (created if missing)."),
    redis: Secret("Several nodes: the Redis (7.x or Valkey) URL they share state through, e.g. redis://10.0.0.5:6379 (a password in it makes it a secret). Empty: one node on its own.", {
      warnIf: (url) => /\/\/[^/@]*@/.test(url),
    }),
    nodeId: Str("", "Several nodes: this node's name, unique among them. Empty: hostname-pid."),
    clusterHeartbeatMs: Int(1000, 50, 60_000, "Several nodes: how often a node tells the others it is alive (ms)."),
    clusterNodeTimeoutMs: Int(5000, 200, 600_000, "Several nodes: after how long without a heartbeat a node counts as gone, and how long Redis may be out of reach before this node reports not ready (ms)."),
    tlsCert: Str("", "PEM certificate (chain) file: serve https and wss on the same port (with --tls-key). Re-read on SIGHUP."),
    tlsKey: Str("", "PEM private key file for --tls-cert."),
    operatorToken: Secret("Operator token (operator rights: pool control, the quiz game, the console). Empty: generated on first start and kept in the data dir."),
    allowedOrigins: List(["*"], "Browser origins that may connect to the WebSocket endpoints and Socket.IO polling (repeatable; '*' = any). Others get 403; requests without Origin and from the server's own origin are always accepted."),
    logLevel: Type.Union([Type.Literal("debug"), Type.Literal("info"), Type.Literal("warn"), Type.Literal("error")], {
      default: "info",
      description: "Least severe log level printed: debug, info, warn or error.",
    }),
    logFormat: Type.Union([Type.Literal("auto"), Type.Literal("json"), Type.Literal("text")], {
      default: "auto",
      description: "Log line format: json, text, or auto (text on a terminal, JSON lines otherwise).",
    }),
    maxFrameBytes: Int(65536, 16, 16 * 1024 * 1024, "Largest WebSocket frame accepted on the JSON/text endpoints; larger closes with 1009."),
    rateLimit: Int(200, 1, 1_000_000, "Units of work per second each connection may send, sustained (a message, a control frame, each call of a JSON-RPC batch, each Engine.IO/Socket.IO packet); more wait their turn."),
    rateBurst: Int(400, 1, 1_000_000, "Units a connection may send at once before the sustained rate applies."),
    rateQueue: Int(5000, 0, 10_000_000, "Messages over the rate that wait (per connection) to be handled as the rate allows; past this: the protocol's error reply, then close 1008."),
    rateQueueBytes: Int(4 * 1024 * 1024, 0, 1024 * 1024 * 1024, "Bytes of messages that may wait per connection (see --rate-queue)."),
    pingIntervalMs: Int(30000, 100, 3_600_000, "How often the server pings each WebSocket client (ms)."),
    idleTimeoutMs: Int(60000, 200, 7_200_000, "Close a WebSocket that has sent nothing, not even a pong, for this long (ms)."),
    maxConns: Int(0, 0, 10_000_000, "WebSocket connections in total; past it an upgrade gets 503. 0: the open-file limit less a reserve, so /healthz always answers."),
    maxConnsPerIp: Int(1000, 0, 10_000_000, "WebSocket connections from one client address; past it an upgrade gets 429. 0: no limit."),
    trustedProxies: List([], "Reverse proxies (addresses or CIDR networks, repeatable) whose X-Forwarded-For names the real client for every per-address rule."),
    backpressureBytes: Int(1024 * 1024, 1024, 1024 * 1024 * 1024, "Bytes queued for one slow client before it is disconnected."),
    mediaDir: Str("", "Folder of video and audio files served at /media/<name> (with byte ranges) for the watch page; empty: /media is not served."),
    clickerSecretsPerIpPerMin: Int(100, 0, 1_000_000, "Clicker: new secrets (new ids) issued to one client address per minute; past it a REGISTER without a known secret gets ERROR too_many_new_ids. 0: no limit."),
    clickerIdsPerListen: Int(256, 1, 100_000, "Clicker: ids one LISTEN or SUBSCRIBE may name; more is bad_arguments."),
    metronomeLeadMs: Int(1000, 0, 60000, "Metronome: how far ahead of 'now' the first beat of a start is scheduled (ms)."),
    jwtSecret: Secret("Watch party: HS256 secret; when set, creating a room needs a JWT and joining needs a JWT or an invite."),
    jwtAudience: Str("", "Watch party: required JWT 'aud' (empty = not checked)."),
    jwtIssuer: Str("", "Watch party: required JWT 'iss' (empty = not checked)."),
    roomGraceMs: Int(30000, 0, 86_400_000, "Watch party: how long an empty room is kept for its host to come back (ms)."),
    roomMaxParticipants: Int(100, 1, 100000, "Watch party: participants per room."),
    maxRooms: Int(10000, 1, 10_000_000, "Watch party: rooms in total (empty ones in their grace period included); past it create_room is forbidden."),
    roomsPerConn: Int(5, 1, 100000, "Watch party: rooms one connection may have created that still exist."),
    roomOptionsBytes: Int(4096, 2, 1024 * 1024, "Watch party: size of a room's options object as JSON; larger is bad_request."),
    sioToken: Secret("Socket.IO relay: sets both --sio-monitor-token and --sio-user-token (each of them, when set, wins)."),
    sioMonitorToken: Secret("Socket.IO relay: when set, only clients that send auth {token} with this value may register a monitor (con)."),
    sioUserToken: Secret("Socket.IO relay: when set, only clients that send auth {token} with this value may query monitors and send commands."),
    sioPingIntervalMs: Int(25000, 50, 3_600_000, "Socket.IO: Engine.IO pingInterval (ms)."),
    sioPingTimeoutMs: Int(20000, 50, 3_600_000, "Socket.IO: Engine.IO pingTimeout (ms)."),
    sioMaxPayload: Int(1_000_000, 1024, 64 * 1024 * 1024, "Socket.IO: Engine.IO maxPayload (bytes per HTTP body or WebSocket frame)."),
    sioRecoveryMs: Int(120000, 0, 3_600_000, "Socket.IO: how long a client that lost its connection can come back as the same socket, with what it missed (ms; 0: no connection state recovery)."),
    sioSessionsPerIp: Int(1000, 0, 10_000_000, "Socket.IO: Engine.IO sessions (either transport) from one client address; past it a handshake gets 429. 0: no limit."),
    sioPendingPerMonitor: Int(5000, 1, 10_000_000, "Socket.IO relay: commands sent to one monitor and not finished yet; past it command send gets command failed."),
    sioPendingPerUser: Int(2000, 1, 10_000_000, "Socket.IO relay: unfinished commands of one user connection; past it command send gets command failed."),
    corsOrigin: List(["*"], "Socket.IO: origins allowed by CORS (repeatable; '*' allows any)."),
    pool: List([], "Buzzer: a pool to connect at start (serial device or /dev/input/event*); repeatable. Append '#v2' for the renumbered receiver firmware, '#head' for the firmware as last committed, '#keyboard' for an evdev device outside /dev/input."),
    poolAllow: List(
      ["/dev/serial/by-id/*", "/dev/ttyACM*", "/dev/ttyUSB*"],
      "Buzzer: glob patterns of devices a client's connect may open, besides --pool (repeatable). Terminals and input devices only when a pattern names them.",
    ),
    serialBaud: Int(9600, 50, 4_000_000, "Buzzer: serial speed for receivers."),
    buzzSettleMs: Int(150, 0, 10_000, "Buzzer game: the winner is final this long after the earliest press reached the server, so an earlier press over a slower link can still win (ms)."),
    falseStartMs: Int(250, 0, 10_000, "Buzzer game: a press while not armed locks that buzzer out for this long from the press (ms)."),
  }),
  { additionalProperties: false },
);
export type Config = Static<typeof Config>;

type Key = keyof Config & string;
const keys = Object.keys(Config.properties) as Key[];
/** The secret options (see Secret), and the name of each one's file option. */
type SecretKey = { [K in Key]: Config[K] extends string ? (`${K}File` extends Key ? K : never) : never }[Key];
const secretKeys = keys.filter((k) => (Config.properties[k] as TSchema).secret === true) as SecretKey[];
const fileKey = (k: SecretKey) => `${k}File` as Key & `${SecretKey}File`;

const envName = (k: string) => "SWITCHBOARD_" + k.replace(/[A-Z]/g, (c) => "_" + c).toUpperCase();
const schemaOf = (k: Key) => Config.properties[k] as TSchema;
const isList = (k: Key) => schemaOf(k).type === "array";

export const defaults = (): Config => Value.Create(Config) as Config;

export type ConfigResult =
  /** warnings: things the operator should change, for the log (never containing a secret). */
  | { kind: "run"; config: Config; warnings: string[] }
  | { kind: "help"; text: string }
  | { kind: "version" }
  | { kind: "print"; config: Config }
  | { kind: "invalid"; errors: string[] };

/** Parse flags and environment into a validated Config. Never exits or prints; reads only the secret files named. */
export function loadConfig(argv: string[], env: Record<string, string | undefined>, readFile: (path: string) => string = (p) => readFileSync(p, "utf8")): ConfigResult {
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
  // Keepalive (docs/common.md#keepalive): the idle close must come after a ping had its chance,
  // or every quiet client that answers pings is still dropped.
  const badProxy = badNet(config.trustedProxies);
  if (badProxy !== null) return { kind: "invalid", errors: [`${source.trustedProxies ?? "--trusted-proxies"}: not an address or CIDR network (got ${JSON.stringify(badProxy)})`] };
  if (config.idleTimeoutMs <= config.pingIntervalMs) {
    const name = (k: Key) => source[k] ?? "--" + flagName(k);
    return { kind: "invalid", errors: [`${name("idleTimeoutMs")} (${config.idleTimeoutMs}) must be longer than ${name("pingIntervalMs")} (${config.pingIntervalMs})`] };
  }
  const secrets = readSecrets(config, source, readFile);
  if (secrets.errors.length) return { kind: "invalid", errors: secrets.errors };
  return flags["print-config"] ? { kind: "print", config } : { kind: "run", config, warnings: secrets.warnings };
}

/**
 * `--x-file` options fill in their secret; a secret given as a flag is warned about (any local
 * user can read a process's command line), naming the two better ways to pass it.
 */
function readSecrets(config: Config, source: Record<string, string>, readFile: (path: string) => string): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const k of secretKeys) {
    const fk = fileKey(k);
    const path = config[fk];
    if (path) {
      if (config[k]) {
        errors.push(`${source[k]} and ${source[fk]}: give the value or a file, not both`);
        continue;
      }
      try {
        config[k] = readFile(path).replace(/\r?\n$/, "");
      } catch (err) {
        errors.push(`${source[fk]}: cannot read '${path}' (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        continue;
      }
      if (!config[k]) errors.push(`${source[fk]}: '${path}' is empty`);
    }
    const warnIf = (Config.properties[k] as TSchema & { warnIf?: (v: string) => boolean }).warnIf;
    if (source[k]?.startsWith("--") && (!warnIf || warnIf(config[k]))) {
      warnings.push(`${source[k]} is visible to every local user in /proc/<pid>/cmdline; set ${envName(k)} or --${flagName(fk)} instead`);
    }
  }
  return { errors, warnings };
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

/** The configuration as --print-config shows it: secrets replaced by "(set)" when present. */
export function printable(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const k of secretKeys) if (config[k]) out[k] = "(set)";
  return out;
}
