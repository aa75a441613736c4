// HTTP range requests for /media (docs/common.md#media): the Range header read against a file's
// size, and the If-Range / If-None-Match / If-Modified-Since decisions. Pure: no files, no clock.

/** What a Range header asks of a file of a given size. */
export type RangeAnswer =
  /** Send the whole file (no Range, another unit, several ranges, or an If-Range that failed). */
  | { kind: "full" }
  /** 206 with bytes start..end, both inclusive. */
  | { kind: "partial"; start: number; end: number }
  /** 416: a bytes range that is malformed or lies past the end. */
  | { kind: "unsatisfiable" };

const SPEC = /^(\d*)-(\d*)$/;

/**
 * RFC 9110 §14: `bytes=a-b`, `bytes=a-` and the suffix `bytes=-n`. A unit other than bytes is
 * ignored (the whole file); so are several ranges, which a player never asks for (answering them
 * would need multipart/byteranges). Malformed byte ranges and ranges past the end are 416.
 */
export function parseRange(header: string | null, size: number): RangeAnswer {
  if (header === null) return { kind: "full" };
  const eq = header.indexOf("=");
  if (eq < 0) return { kind: "unsatisfiable" };
  if (header.slice(0, eq).trim().toLowerCase() !== "bytes") return { kind: "full" };
  const specs = header.slice(eq + 1).split(",").map((s) => s.trim());
  if (specs.length > 1) return specs.every((s) => SPEC.test(s)) ? { kind: "full" } : { kind: "unsatisfiable" };
  const m = SPEC.exec(specs[0]!);
  if (!m) return { kind: "unsatisfiable" };
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return { kind: "unsatisfiable" };
  if (a === "") {
    // Suffix: the last n bytes (all of a smaller file); n = 0 selects nothing.
    const n = Number(b);
    if (n === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "partial", start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  if (b !== "" && Number(b) < start) return { kind: "unsatisfiable" };
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "partial", start, end };
}

/** A file's validators: a strong ETag from size and modification time, and its HTTP date. */
export function validators(size: number, mtimeMs: number): { etag: string; lastModified: string } {
  return { etag: `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`, lastModified: new Date(mtimeMs).toUTCString() };
}

/** If-None-Match names this ETag (weak comparison, as RFC 9110 §13.1.2 says), or is `*`. */
export function etagMatches(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
}

/**
 * Whether a conditional GET gets 304: If-None-Match when present, otherwise If-Modified-Since
 * (HTTP dates have whole seconds, so the file's time is compared in seconds).
 */
export function notModified(ifNoneMatch: string | null, ifModifiedSince: string | null, etag: string, mtimeMs: number): boolean {
  if (ifNoneMatch !== null) return etagMatches(ifNoneMatch, etag);
  if (ifModifiedSince === null) return false;
  const since = Date.parse(ifModifiedSince);
  return Number.isFinite(since) && Math.floor(mtimeMs / 1000) * 1000 <= since;
}

/**
 * If-Range (RFC 9110 §13.1.5): the range applies only if the validator still names this file: a
 * strong ETag equal to ours, or exactly our Last-Modified date. Otherwise the whole file is sent.
 */
export function ifRangeHolds(header: string | null, etag: string, lastModified: string): boolean {
  if (header === null) return true;
  const v = header.trim();
  if (v.startsWith('"') || v.startsWith("W/")) return v === etag;
  return v === lastModified;
}
