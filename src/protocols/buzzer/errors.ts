// /mediator's error catalogue (docs/buzzer.md#errors): every reply has the original protocol's
// uniform shape {"error","message","cause"}; message and cause may be null.
/** The longest name kept, in characters (code points): names are shown on the projector. */
export const MAX_NAME_CHARS = 32;

export type ErrorType = "connect" | "invalid_json" | "unknown_command" | "invalid_data_type" | "rate_limited" | "forbidden" | "phone" | "storage_unavailable";

export interface ErrorReply {
  error: ErrorType;
  message: string | null;
  cause: string | null;
}

/** What each field must be: the `message` of an invalid_data_type error (docs/buzzer.md#errors). */
const EXPECTED: Record<string, string> = {
  list: "expected a string: \"buzzers\", \"pools\", \"round\" or \"names\"",
  command:
    "expected a string: \"connect\", \"disconnect\", \"set_color\", \"arm\", \"reset\", \"set_name\", \"phone_join\", \"sync_time\" or \"press\"",
  pool: "expected a non-empty string (a pool id)",
  buzzer: "expected an integer buzzer id 0..255",
  color: "expected [r, g, b] with integers 0..255",
  name: `expected a name: a string (at most ${MAX_NAME_CHARS} characters are kept)`,
  phone_id: "expected the phone_id this server issued (16..64 characters A-Z a-z 0-9 _ -), or null",
  client_ts: "expected a number: the phone's clock in ms",
  previous: "expected null or {client_ts, server_recv_ts, server_send_ts, client_recv_ts} (numbers, ms)",
};

export const errorReply = (error: ErrorType, message: string | null, cause: string | null): ErrorReply => ({ error, message, cause });
/** A command that needs operator rights, from a client without them (docs/buzzer.md#operator-commands). */
export const forbidden = (command: string): ErrorReply =>
  errorReply("forbidden", "this command needs operator rights: open the console URL the server logs, or send Authorization: Bearer <operator token>", command);
/** set_name while the database cannot write (disk full, I/O error): the name is shown, not kept. */
export const storageUnavailable = (): ErrorReply =>
  errorReply("storage_unavailable", "the name is in use but could not be stored: the database cannot write now", "set_name");
/** Several nodes: phone_join while the phones' registry (Redis) cannot be reached (docs/cluster.md#buzzer). */
export const phonesOutOfReach = (): ErrorReply => errorReply("phone", "the phones' registry is out of reach: try again in a moment", null);
export const invalidField = (field: string, message = EXPECTED[field] ?? "invalid value"): ErrorReply =>
  errorReply("invalid_data_type", message, field);

/** Messages of invalid_data_type replies about a pool or buzzer that is not in the right state. */
export const Expected = {
  connectedPool: "expected the id of a connected pool",
  poolWithLights: "expected a pool whose buzzers have lights (a serial receiver)",
  connectedBuzzer: "expected a buzzer connected to this pool",
  visibleName: "expected a name with at least one visible character",
  devicePool: "expected the id of a connected device pool (phones leave by closing their page)",
} as const;

/** Messages of connect errors. */
export const ConnectError = {
  cannotOpen: (id: string, keyboard: boolean) => (keyboard ? `Couldn't open input device '${id}'` : `Couldn't open serial port '${id}'`),
  cannotOpenAny: (id: string) => `Couldn't open '${id}'`,
  notAllowed: (id: string) => `'${id}' is not a device the operator allows (--pool, --pool-allow)`,
  notADevice: (id: string) => `'${id}' is not a serial port or input device`,
  noAnswer: (id: string) => `No answer from the buzzer receiver on '${id}'`,
  /** Several nodes: the node the pool's device is plugged into did not answer (docs/cluster.md#buzzer). */
  nodeGone: (id: string) => `The node that holds '${id}' is out of reach`,
} as const;
