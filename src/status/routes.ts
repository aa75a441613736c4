// The operator status feed over HTTP (docs/pages.md#the-status-feed): GET /api/status (one
// snapshot as JSON) and GET /api/status/stream (Server-Sent Events: a `status` event per change,
// a `ping` event as heartbeat). Both need operator rights; without them a JSON error, 401 or 403.
import type { AnyElysia } from "elysia";
import type { Server } from "bun";
import type { OperatorAuth } from "../access/operator.ts";
import { operatorRefusal } from "../access/refusal.ts";
import type { StatusSnapshot } from "../pages/lib/status-types.ts";
import { FEED_HEARTBEAT_MS, type StatusFeed, type Watcher } from "./feed.ts";

export const STATUS_PATH = "/api/status";
export const STREAM_PATH = "/api/status/stream";
/** The reconnect delay EventSource is told to use (ms). */
export const RETRY_MS = 2000;
/**
 * Bytes a stream may have waiting for a client that does not read: past this the stream is ended
 * (an EventSource reconnects and gets the snapshot of that moment) rather than buffering without end.
 */
export const STREAM_BUFFER_BYTES = 1 << 20;

export interface StatusRoutesOptions {
  operator: OperatorAuth;
  feed: StatusFeed;
  snapshot(): Promise<StatusSnapshot>;
  /** Let a stream stay open longer than Bun's idle timeout for HTTP requests (10 s). */
  holdOpen?(request: Request, server: Server<unknown>, seconds: number): void;
}

const enc = new TextEncoder();

export function statusRoutes(app: AnyElysia, o: StatusRoutesOptions): AnyElysia {
  return app
    .get(STATUS_PATH, async ({ request }) => {
      const refused = operatorRefusal(o.operator, request);
      if (refused) return refused;
      return new Response(JSON.stringify(await o.snapshot()), { headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" } });
    })
    .get(STREAM_PATH, ({ request, server }) => {
      const refused = operatorRefusal(o.operator, request);
      if (refused) return refused;
      // Every heartbeat is a write, and writes restart the idle timer: two missed beats end it.
      if (server) o.holdOpen?.(request, server as Server<unknown>, Math.ceil((2 * FEED_HEARTBEAT_MS) / 1000) + 5);
      let stop = () => {};
      const stream = new ReadableStream<Uint8Array>(
        {
          start(c) {
            c.enqueue(enc.encode(`retry: ${RETRY_MS}\n\n`));
            let ended = false;
            const end = () => {
              if (ended) return;
              ended = true;
              stop();
              try {
                c.close();
              } catch {
                // already closed by the client going away
              }
            };
            const w: Watcher = {
              send(event, data) {
                if (ended) return;
                if ((c.desiredSize ?? 0) < 0) return end();
                try {
                  c.enqueue(enc.encode(`event: ${event}\ndata: ${data}\n\n`));
                } catch {
                  end();
                }
              },
              end,
            };
            stop = o.feed.watch(w);
          },
          cancel: () => stop(),
        },
        { highWaterMark: STREAM_BUFFER_BYTES, size: (chunk) => chunk?.byteLength ?? 0 },
      );
      request.signal.addEventListener("abort", () => stop(), { once: true });
      return new Response(stream, {
        headers: {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-store",
          // A reverse proxy (nginx) would otherwise hold the events back in its buffer.
          "x-accel-buffering": "no",
        },
      });
    }) as AnyElysia;
}
