// GET/HEAD /media/<name>: files from --media-dir for the watch page's <video> (docs/common.md#media),
// with byte ranges (206, 416), ETag and Last-Modified, and nothing outside the folder; GET
// /api/media lists the playable files. Routed only when --media-dir is set.
import type { AnyElysia } from "elysia";
import { readdirSync, realpathSync, statSync, type Dirent, type Stats } from "node:fs";
import { join, sep } from "node:path";
import { ifRangeHolds, notModified, parseRange, validators } from "./range.ts";
import { contentType, isPlayable } from "./types.ts";

export const MEDIA_PREFIX = "/media/";
const CACHE = "no-cache";

export interface MediaFile {
  name: string;
  url: string;
  size: number;
  type: string;
}

const notFound = () => new Response("NOT_FOUND", { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });

/**
 * The file a request path names, or null. Each segment is percent-decoded on its own; a segment
 * that is empty, hidden (starts with "."), or decodes to something holding "/", "\" or NUL is
 * refused, and the real path (symbolic links resolved) must still lie inside the folder.
 */
export function resolveMedia(root: string, pathname: string): { path: string; stat: Stats } | null {
  if (!pathname.startsWith(MEDIA_PREFIX)) return null;
  const parts: string[] = [];
  for (const raw of pathname.slice(MEDIA_PREFIX.length).split("/")) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (seg === "" || seg.startsWith(".") || /[/\\\0]/.test(seg)) return null;
    parts.push(seg);
  }
  if (parts.length === 0) return null;
  try {
    const path = realpathSync(join(root, ...parts));
    if (!path.startsWith(root + sep)) return null;
    const stat = statSync(path);
    return stat.isFile() ? { path, stat } : null;
  } catch {
    return null;
  }
}

export function serveMedia(request: Request, root: string): Response {
  const found = resolveMedia(root, new URL(request.url).pathname);
  if (!found) return notFound();
  const { path, stat } = found;
  const size = stat.size;
  const { etag, lastModified } = validators(size, stat.mtimeMs);
  const h = request.headers;
  const headers: Record<string, string> = {
    "accept-ranges": "bytes",
    "cache-control": CACHE,
    etag,
    "last-modified": lastModified,
    "x-content-type-options": "nosniff",
  };
  if (notModified(h.get("if-none-match"), h.get("if-modified-since"), etag, stat.mtimeMs)) return new Response(null, { status: 304, headers });
  headers["content-type"] = contentType(path);
  const file = Bun.file(path);
  const range = ifRangeHolds(h.get("if-range"), etag, lastModified) ? parseRange(h.get("range"), size) : ({ kind: "full" } as const);
  if (range.kind === "unsatisfiable") {
    return new Response(null, { status: 416, headers: { ...headers, "content-range": `bytes */${size}` } });
  }
  if (range.kind === "partial") {
    headers["content-range"] = `bytes ${range.start}-${range.end}/${size}`;
    return new Response(file.slice(range.start, range.end + 1), { status: 206, headers });
  }
  return new Response(file, { headers });
}

/** Playable files directly in the folder (no hidden ones, no subfolders), by name. */
export function listMedia(root: string): MediaFile[] {
  const out: MediaFile[] = [];
  let entries: Dirent[];
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch {
    return out; // the folder went away while running: nothing to list, and /media answers 404
  }
  for (const d of entries) {
    if (d.name.startsWith(".") || !isPlayable(d.name)) continue;
    const found = resolveMedia(root, MEDIA_PREFIX + encodeURIComponent(d.name));
    if (found) out.push({ name: d.name, url: MEDIA_PREFIX + encodeURIComponent(d.name), size: found.stat.size, type: contentType(d.name) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The routes; `dir` is --media-dir (empty: /media is not served and /api/media says so). */
export function mediaRoutes(app: AnyElysia, dir: string): AnyElysia {
  const root = dir ? realpathSync(dir) : "";
  const json = (body: unknown) => new Response(JSON.stringify(body), { headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" } });
  app = app.get("/api/media", () => json({ enabled: root !== "", files: root ? listMedia(root) : [] })) as AnyElysia;
  if (!root) return app;
  return app.get(`${MEDIA_PREFIX}*`, ({ request }) => serveMedia(request, root)) as AnyElysia;
}
