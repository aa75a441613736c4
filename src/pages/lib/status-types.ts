// The shape of the operator status feed, GET /api/status and /api/status/stream
// (docs/pages.md#the-status-feed). Types only and no DOM: the server (each protocol plugin's
// status(), src/status/) builds the feed from the same declarations the console reads it with.
// Nothing here is a secret: no resume tokens, clicker secrets, JWTs or the operator token.

/** Lists in the feed (groups, rooms, devices, monitors, users, pools) hold at most this many; the `*_count` fields say how many there are. */
export const STATUS_LIST_MAX = 200;

export interface StoreStatus {
  /** ok; degraded: the last call failed and none has succeeded since; stalled: a call has waited over 2 s. */
  status: "ok" | "degraded" | "stalled";
  pending: number;
  oldest_ms: number;
  error: string | null;
}

export interface ServerStatus {
  version: string;
  /** When the server started (Unix ms). */
  started_at: number;
  uptime_s: number;
  /** Live clients per protocol, the /healthz `connections` object. */
  connections: Record<string, number>;
  /** The caps, as /healthz `limits` reports them. */
  limits: {
    open_files_soft: number | null;
    open_files_hard: number | null;
    max_connections: number | null;
    max_connections_per_ip: number | null;
    connections: number;
  };
  store: StoreStatus;
  /** With several nodes (--redis), this node and the others, as /healthz `cluster` reports them; absent on a single node. */
  cluster?: { node: string; redis: string; ready: boolean; nodes: string[]; topics: number };
}

export interface MetronomeGroupStatus {
  /** The group id, which is its owner's client id. */
  id: number;
  owner: number;
  /** Client ids of every member, the owner first. */
  members: number[];
  member_count: number;
  /** The last tempo set, kept while stopped; null before any. */
  bpm: number | null;
  playing: boolean;
}

export interface MetronomeStatus {
  group_count: number;
  groups: MetronomeGroupStatus[];
}

export interface RoomStatus {
  id: string;
  host: string;
  participants: { client_id: string; name: string; is_host: boolean }[];
  participant_count: number;
  /** Seconds into the media at `position_at`; while playing, add the seconds since. */
  position: number;
  /** When `position` held (Unix ms, the server's clock). */
  position_at: number;
  play_state: "playing" | "paused";
  media_url: string;
  free_play: boolean;
  private: boolean;
}

export interface SyncpartyStatus {
  room_count: number;
  participant_count: number;
  rooms: RoomStatus[];
}

export interface ClickerDeviceStatus {
  id: string;
  /** A registered sender holds this id now. */
  online: boolean;
  /** The most recently stored score (ts and score as numbers: exact below 2^53), or null. */
  latest: { ts: number; score: number } | null;
  /** Scores of this id stored since `day_start`. */
  today: number;
}

export interface ClickerStatus {
  /** Local midnight of the server's clock (Unix ms): the start of "today". */
  day_start: number;
  /** Every id connected now or with a score stored today; online ones first, then by id. */
  devices: ClickerDeviceStatus[];
  device_count: number;
  online_count: number;
  /** Scores of every id stored today. */
  today_total: number;
  /** Connections listening to at least one id (scoreboards). */
  listeners: number;
}

export interface MonitorStatus {
  monitor_id: string;
  /** A monitor holds the id now; false for an id users are waiting for (they queried it). */
  online: boolean;
  /** Commands sent to it and not finished yet, oldest first. */
  pending: { id: string; command: string }[];
  pending_count: number;
  /** Users that queried this id. */
  users: number;
}

export interface SocketioStatus {
  /** The Socket.IO layer is loaded on its first request; before that nobody has connected. */
  loaded: boolean;
  /** Online monitors, and ids users have queried that are offline; online first, then by id. */
  monitors: MonitorStatus[];
  monitor_count: number;
  /** Connections that are not monitors, with the monitor each one queried. */
  users: { monitor_id: string | null; pending: number }[];
  user_count: number;
  pending_total: number;
  /** Sockets away that may still come back (connection state recovery). */
  recovering: number;
}

export interface PoolStatus {
  pool: string;
  kind: "serial" | "keyboard";
  /**
   * connecting: a connect is waiting for the receiver's handshake; connected; down: kept (from
   * --pool, or connected once) but not linked now, and its driver keeps trying.
   */
  state: "connecting" | "connected" | "down";
  /** From --pool (opened at start, kept until disconnected). */
  configured: boolean;
  /** Its buzzers have lights (set_color); null until the device is open. */
  colors: boolean | null;
  /** Connected buzzers, with the name the quiz gave each (null: none). */
  buzzers: { buzzer: number; name: string | null }[];
}

export interface BuzzerStatus {
  pools: PoolStatus[];
  connected_count: number;
  /** Devices a connect may open now (the `list pools` answer). */
  available: string[];
}

export interface StatusSnapshot {
  /** When the snapshot was taken (Unix ms, the server's clock). */
  ts: number;
  server: ServerStatus;
  /** One key per protocol, absent when that protocol is not served. */
  metronome?: MetronomeStatus;
  syncparty?: SyncpartyStatus;
  clicker?: ClickerStatus;
  socketio?: SocketioStatus;
  buzzer?: BuzzerStatus;
}
