// A real film for the watch page's tests, made at test time: a WebM (VP8 video of ffmpeg's test
// pattern with a running clock, Opus audio of a tone) from Debian's ffmpeg, installed when missing.
import { join } from "node:path";
import { ensureCommand } from "./tools.ts";

/** Writes `name` (a WebM of `seconds`) into `dir` and returns its path. */
export function makeTestFilm(dir: string, name = "film.webm", seconds = 100): string {
  ensureCommand("ffmpeg");
  const out = join(dir, name);
  const r = Bun.spawnSync(
    [
      "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
      "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=24",
      "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
      "-t", String(seconds),
      "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "150k", "-g", "48",
      "-c:a", "libopus", "-b:a", "32k",
      out,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  if (r.exitCode !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
  return out;
}
