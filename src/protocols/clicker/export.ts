// GET /scores.csv?ids=… (docs/clicker.md#csv-export): every stored score of the chosen clickers
// as CSV, in the order they were stored, streamed a slice at a time so a long event never has to
// fit in memory as one string. The ids are checked as LISTEN checks them.
import { SenderId } from "./codec.ts";
import { Says } from "./errors.ts";
import type { ScoreHistory, ScoreRow } from "./history.ts";
import { compileOnUse } from "../../schema.ts";

/** Ids per export: far above any real event, and a bound on the request's work (docs/clicker.md#csv-export). */
export const MAX_EXPORT_IDS = 1000;
export const CSV_HEADER = "id,timestamp,score,received_at\r\n";

const IdCheck = compileOnUse(SenderId);

/** The `ids` parameter: split by commas and/or spaces like LISTEN's ids, repeats dropped, first one wins. */
export function parseExportIds(raw: string | null): { ids: string[] } | { error: string } {
  const tokens = (raw ?? "").split(/[ ,]+/).filter((t) => t !== "");
  if (tokens.length === 0) return { error: Says.exportUsage };
  const bad = tokens.find((t) => !IdCheck.Check(t));
  if (bad !== undefined) return { error: Says.badId(bad) };
  const ids = [...new Set(tokens)];
  if (ids.length > MAX_EXPORT_IDS) return { error: Says.tooManyIds(MAX_EXPORT_IDS, ids.length) };
  return { ids };
}

/** One CSV line (RFC 4180: CRLF). Nothing here needs quoting: ids are digits, the rest numbers and an ISO time. */
export const csvLine = (r: ScoreRow) => `${r.id},${r.ts},${r.score},${r.receivedAt === null ? "" : new Date(r.receivedAt).toISOString()}\r\n`;

/** A file name that says whose scores these are. */
export function exportFileName(ids: readonly string[]): string {
  return ids.length <= 3 ? `scores-${ids.join("-")}.csv` : `scores-${ids[0]}-and-${ids.length - 1}-more.csv`;
}

/** Gives the event loop a turn: between empty slices of a long scan, other clients are served. */
const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The header, then the rows of `ids` up to the newest score stored when the export started. */
export function csvStream(history: ScoreHistory, ids: readonly string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let upTo: number | null = null;
  let after = 0;
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      if (upTo === null) {
        upTo = await history.lastSeq();
        ctrl.enqueue(enc.encode(CSV_HEADER));
        return;
      }
      while (after < upTo) {
        const { rows, next } = await history.slice(ids, after, upTo);
        after = next;
        if (rows.length) {
          let text = "";
          for (const r of rows) text += csvLine(r);
          ctrl.enqueue(enc.encode(text));
          return;
        }
        await yieldTurn();
      }
      ctrl.close();
    },
  });
}

const plain = (status: number, body: string) =>
  new Response(body + "\n", { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" } });

/** The whole answer to GET /scores.csv: 400 with the reason for bad ids, else the CSV as a download. */
export function exportResponse(url: URL, history: ScoreHistory): Response {
  const parsed = parseExportIds(url.searchParams.get("ids"));
  if ("error" in parsed) return plain(400, parsed.error);
  return new Response(csvStream(history, parsed.ids), {
    headers: {
      "content-type": "text/csv; charset=utf-8; header=present",
      "content-disposition": `attachment; filename="${exportFileName(parsed.ids)}"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
