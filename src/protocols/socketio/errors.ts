// The relay's catalogue of `reason` strings (docs/socketio.md#events): every payload the server
// emits is an object with a reason; refusals say why in it.
import { RATE_LIMITED_TEXT } from "../../transport/rate.ts";

export const Reason = {
  ok: "ok",
  badMonitorId: "invalid monitor_id: 1 to 64 characters of A-Z a-z 0-9 _ -",
  taken: "monitor_id already registered",
  otherId: "this connection is already registered as another monitor",
  queryFirst: "query a monitor first",
  badCommand: "invalid command: a non-empty string of at most 4096 characters",
  offline: "monitor offline",
  disconnected: "monitor disconnected",
  online: "monitor online",
  notMonitor: "not a monitor: send con first",
  badPayload: "invalid payload",
  noCommand: "no unfinished command",
  unknownId: "unknown command id",
  commandDo: "command from user",
  finished: "command finished",
  rateLimited: RATE_LIMITED_TEXT,
  userBusy: "too many unfinished commands: wait for some to finish",
  monitorBusy: "too many unfinished commands for this monitor",
  badToken: "invalid or missing auth token",
  noMonitorRole: "invalid or missing monitor token",
  noUserRole: "invalid or missing user token",
  unknownEvent: "unknown event",
} as const;
