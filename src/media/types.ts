// Content types of the files /media serves (docs/common.md#media), by extension: what browsers'
// <video> and <audio> play, subtitles, and poster images. Anything else is application/octet-stream.

const TYPES: Record<string, string> = {
  mp4: "video/mp4",
  m4v: "video/mp4",
  webm: "video/webm",
  ogv: "video/ogg",
  mkv: "video/x-matroska",
  mov: "video/quicktime",
  mp3: "audio/mpeg",
  m4a: "audio/mp4",
  aac: "audio/aac",
  oga: "audio/ogg",
  ogg: "audio/ogg",
  opus: "audio/ogg",
  wav: "audio/wav",
  flac: "audio/flac",
  weba: "audio/webm",
  vtt: "text/vtt; charset=utf-8",
  srt: "application/x-subrip",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
};

export const OCTET_STREAM = "application/octet-stream";

export function contentType(name: string): string {
  const dot = name.lastIndexOf(".");
  return (dot > 0 && TYPES[name.slice(dot + 1).toLowerCase()]) || OCTET_STREAM;
}

/** Files a <video> element can be pointed at: listed by /api/media for the watch page. */
export const isPlayable = (name: string) => /^(video|audio)\//.test(contentType(name));
