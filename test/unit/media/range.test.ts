// Byte ranges and validators of /media (src/media/range.ts, docs/common.md#media). Pure.
import { expect, test } from "bun:test";
import { etagMatches, ifRangeHolds, notModified, parseRange, validators } from "../../../src/media/range.ts";
import { contentType, isPlayable } from "../../../src/media/types.ts";

test("bytes=a-b, a- and -n select the right bytes, clipped to the file", () => {
  expect(parseRange(null, 100)).toEqual({ kind: "full" });
  expect(parseRange("bytes=0-9", 100)).toEqual({ kind: "partial", start: 0, end: 9 });
  expect(parseRange("bytes=90-", 100)).toEqual({ kind: "partial", start: 90, end: 99 });
  expect(parseRange("bytes=90-1000", 100)).toEqual({ kind: "partial", start: 90, end: 99 });
  expect(parseRange("bytes=-10", 100)).toEqual({ kind: "partial", start: 90, end: 99 });
  expect(parseRange("bytes=-1000", 100)).toEqual({ kind: "partial", start: 0, end: 99 });
  expect(parseRange(" BYTES = 5-5 ", 100)).toEqual({ kind: "partial", start: 5, end: 5 });
});

test("malformed or unsatisfiable byte ranges are 416; other units and several ranges get the whole file", () => {
  for (const bad of ["bytes=100-", "bytes=200-300", "bytes=9-3", "bytes=-0", "bytes=-", "bytes=abc", "bytes=1-2-3", "bytes", "bytes=0x1-"]) {
    expect({ bad, r: parseRange(bad, 100) }).toEqual({ bad, r: { kind: "unsatisfiable" } });
  }
  expect(parseRange("bytes=-5", 0)).toEqual({ kind: "unsatisfiable" });
  expect(parseRange("items=0-5", 100)).toEqual({ kind: "full" });
  expect(parseRange("bytes=0-1, 5-6", 100)).toEqual({ kind: "full" });
  expect(parseRange("bytes=0-1, x", 100)).toEqual({ kind: "unsatisfiable" });
});

test("validators: a strong ETag of size and time, conditional GETs, If-Range", () => {
  const { etag, lastModified } = validators(1234, Date.UTC(2030, 0, 2, 3, 4, 5, 678));
  expect(etag).toBe(`"4d2-${Date.UTC(2030, 0, 2, 3, 4, 5, 678).toString(16)}"`);
  expect(lastModified).toBe("Wed, 02 Jan 2030 03:04:05 GMT");
  expect(etagMatches(`W/${etag}, "x"`, etag)).toBe(true);
  expect(etagMatches('"x"', etag)).toBe(false);
  const mtime = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
  expect(notModified(etag, null, etag, mtime)).toBe(true);
  expect(notModified('"other"', lastModified, etag, mtime)).toBe(false); // If-None-Match wins
  expect(notModified(null, lastModified, etag, mtime)).toBe(true);
  expect(notModified(null, "Wed, 02 Jan 2030 03:04:04 GMT", etag, mtime)).toBe(false);
  expect(notModified(null, "yesterday", etag, mtime)).toBe(false);
  expect(ifRangeHolds(null, etag, lastModified)).toBe(true);
  expect(ifRangeHolds(etag, etag, lastModified)).toBe(true);
  expect(ifRangeHolds(`W/${etag}`, etag, lastModified)).toBe(false); // If-Range needs a strong match
  expect(ifRangeHolds(lastModified, etag, lastModified)).toBe(true);
  expect(ifRangeHolds("Thu, 01 Jan 2030 00:00:00 GMT", etag, lastModified)).toBe(false);
});

test("content types by extension", () => {
  expect(contentType("a.webm")).toBe("video/webm");
  expect(contentType("A.MP4")).toBe("video/mp4");
  expect(contentType("x.wav")).toBe("audio/wav");
  expect(contentType("subs.vtt")).toBe("text/vtt; charset=utf-8");
  expect(contentType("notes.txt")).toBe("application/octet-stream");
  expect(contentType(".webm")).toBe("application/octet-stream");
  expect(isPlayable("a.opus")).toBe(true);
  expect(isPlayable("a.vtt")).toBe(false);
});
