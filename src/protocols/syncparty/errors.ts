// The watch party's error catalogue (docs/syncparty.md#errors): every refusal is an `error` envelope
// whose payload is {code, message}, with one of these codes.
/** The error codes, exactly (docs/syncparty.md#errors). */
export const ErrorCodes = [
  "bad_json",
  "bad_request",
  "unknown_type",
  "auth_required",
  "token_invalid",
  "token_expired",
  "forbidden",
  "room_exists",
  "room_missing",
  "invite_required",
  "invite_invalid",
  "invite_room_mismatch",
  "not_host",
  "room_full",
  "rate_limited",
] as const;
export type ErrorCode = (typeof ErrorCodes)[number];

/** A refused message: what goes into the error reply's payload. */
export interface Fail {
  code: ErrorCode;
  message: string;
}
export const fail = (code: ErrorCode, message: string): Fail => ({ code, message });
export const isFail = (v: object): v is Fail => "code" in v;
