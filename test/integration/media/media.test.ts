// /media/<name> and /api/media on the real server (docs/common.md#media): content types, byte
// ranges (206, 416), HEAD, ETag/Last-Modified with 304 and If-Range, no way out of the folder, and
// the listing; a server without --media-dir serves none of it; a missing folder stops the start.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { bootServer, tempDir, type TestServer } from "../../helpers/server.ts";

const dir = tempDir("switchboard-media-");
const outside = tempDir("switchboard-outside-");
const bytes = new Uint8Array(1000).map((_, i) => i % 251);
let srv: TestServer;

beforeAll(async () => {
  writeFileSync(join(dir, "film.webm"), bytes);
  writeFileSync(join(dir, "song one.mp3"), "id3");
  writeFileSync(join(dir, "notes.txt"), "not a film");
  writeFileSync(join(dir, ".hidden.mp4"), "secret");
  mkdirSync(join(dir, "season 1"));
  writeFileSync(join(dir, "season 1", "ep1.mp4"), "ep1");
  writeFileSync(join(outside, "secret.mp4"), "outside");
  symlinkSync(join(outside, "secret.mp4"), join(dir, "escape.mp4"));
  srv = await bootServer({ mediaDir: dir });
});
afterAll(async () => {
  await srv.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string> = {}, method = "GET") => fetch(srv.http + path, { method, headers, decompress: false });

/** A request line exactly as written (fetch would normalise dot segments away). */
function raw(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(srv.port, "127.0.0.1", () => s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    let out = "";
    s.on("data", (d) => (out += d.toString("latin1")));
    s.on("end", () => resolve(out));
    s.on("error", reject);
  });
}

describe("a file", () => {
  test("GET: 200, its content type, Accept-Ranges, validators, the bytes", async () => {
    const r = await get("/media/film.webm");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("video/webm");
    expect(r.headers.get("accept-ranges")).toBe("bytes");
    expect(r.headers.get("content-length")).toBe("1000");
    expect(r.headers.get("etag")).toMatch(/^"3e8-[0-9a-f]+"$/);
    expect(new Date(r.headers.get("last-modified")!).getTime()).toBeGreaterThan(Date.now() - 600_000);
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    expect(new Uint8Array(await r.arrayBuffer())).toEqual(bytes);
    expect((await get("/media/song%20one.mp3")).headers.get("content-type")).toBe("audio/mpeg");
    expect((await get("/media/notes.txt")).headers.get("content-type")).toBe("application/octet-stream");
    expect(await (await get("/media/season%201/ep1.mp4")).text()).toBe("ep1");
  });

  test("Range: 206 with Content-Range and exactly those bytes; suffix and open ranges", async () => {
    const cases: [string, number, number][] = [
      ["bytes=0-99", 0, 99],
      ["bytes=900-", 900, 999],
      ["bytes=-10", 990, 999],
      ["bytes=500-5000", 500, 999],
    ];
    for (const [range, start, end] of cases) {
      const r = await get("/media/film.webm", { range });
      expect({ range, status: r.status }).toEqual({ range, status: 206 });
      expect(r.headers.get("content-range")).toBe(`bytes ${start}-${end}/1000`);
      expect(r.headers.get("content-length")).toBe(String(end - start + 1));
      expect(r.headers.get("content-type")).toBe("video/webm");
      expect(new Uint8Array(await r.arrayBuffer())).toEqual(bytes.slice(start, end + 1));
    }
  });

  test("a bad range: 416 with the size; another unit or several ranges: the whole file", async () => {
    for (const range of ["bytes=1000-", "bytes=5-2", "bytes=abc", "bytes=-0"]) {
      const r = await get("/media/film.webm", { range });
      expect({ range, status: r.status }).toEqual({ range, status: 416 });
      expect(r.headers.get("content-range")).toBe("bytes */1000");
      expect((await r.arrayBuffer()).byteLength).toBe(0);
    }
    expect((await get("/media/film.webm", { range: "lines=1-2" })).status).toBe(200);
    const multi = await get("/media/film.webm", { range: "bytes=0-1,5-6" });
    expect(multi.status).toBe(200);
    expect((await multi.arrayBuffer()).byteLength).toBe(1000);
  });

  test("HEAD: the same status and headers, no body", async () => {
    const h = await get("/media/film.webm", {}, "HEAD");
    expect(h.status).toBe(200);
    expect(h.headers.get("content-length")).toBe("1000");
    expect(h.headers.get("accept-ranges")).toBe("bytes");
    expect((await h.arrayBuffer()).byteLength).toBe(0);
    const hr = await get("/media/film.webm", { range: "bytes=10-19" }, "HEAD");
    expect(hr.status).toBe(206);
    expect(hr.headers.get("content-range")).toBe("bytes 10-19/1000");
  });

  test("If-None-Match / If-Modified-Since: 304; If-Range with a stale validator: the whole file", async () => {
    const first = await get("/media/film.webm");
    const etag = first.headers.get("etag")!;
    const lastModified = first.headers.get("last-modified")!;
    const nm = await get("/media/film.webm", { "if-none-match": etag });
    expect(nm.status).toBe(304);
    expect(nm.headers.get("etag")).toBe(etag);
    expect((await get("/media/film.webm", { "if-modified-since": lastModified })).status).toBe(304);
    expect((await get("/media/film.webm", { "if-none-match": '"other"' })).status).toBe(200);
    expect((await get("/media/film.webm", { range: "bytes=0-9", "if-range": etag })).status).toBe(206);
    expect((await get("/media/film.webm", { range: "bytes=0-9", "if-range": lastModified })).status).toBe(206);
    const stale = await get("/media/film.webm", { range: "bytes=0-9", "if-range": '"3e8-0"' });
    expect(stale.status).toBe(200);
    expect((await stale.arrayBuffer()).byteLength).toBe(1000);
  });
});

describe("nothing outside the folder", () => {
  test("dot segments, encoded slashes, NUL, hidden files, folders and links that leave it: 404", async () => {
    for (const path of ["/media/..%2f..%2fetc%2fpasswd", "/media/%2e%2e/%2e%2e/etc/passwd", "/media/.hidden.mp4", "/media/escape.mp4", "/media/season%201", "/media/", "/media/film.webm%00.txt", "/media/..%5cfilm.webm", "/media/nope.mp4", "/media/%E0%A4%A"]) {
      const r = await get(path);
      expect({ path, status: r.status }).toEqual({ path, status: 404 });
    }
    for (const path of ["/media/../../../../etc/passwd", "/media/./.././film.webm"]) {
      const reply = await raw(path);
      expect({ path, status: reply.split(" ")[1] }).toEqual({ path, status: "404" });
      expect(reply).not.toContain("root:");
    }
  });
});

test("/api/media lists the playable files at the top of the folder, hidden ones and links out left out", async () => {
  const r = await get("/api/media");
  expect(r.headers.get("content-type")).toBe("application/json; charset=utf-8");
  expect(await r.json()).toEqual({
    enabled: true,
    files: [
      { name: "film.webm", url: "/media/film.webm", size: 1000, type: "video/webm" },
      { name: "song one.mp3", url: "/media/song%20one.mp3", size: 3, type: "audio/mpeg" },
    ],
  });
});

test("without --media-dir: /media is not served and /api/media says so", async () => {
  const plain = await bootServer();
  try {
    expect((await fetch(plain.http + "/media/film.webm")).status).toBe(404);
    expect(await (await fetch(plain.http + "/api/media")).json()).toEqual({ enabled: false, files: [] });
  } finally {
    await plain.stop();
  }
});

test("a --media-dir that is not a readable folder stops the start with a clear error", async () => {
  const missing = join(dir, "no-such-folder");
  await expect(bootServer({ mediaDir: missing })).rejects.toThrow(`--media-dir '${missing}' is not a readable folder (ENOENT)`);
  await expect(bootServer({ mediaDir: join(dir, "film.webm") })).rejects.toThrow("is not a readable folder (ENOTDIR)");
});
