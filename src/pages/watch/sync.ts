// How a follower of the watch page stays in step with the host (docs/pages.md#the-watch-page):
// where the host's video is now, from the last position it reported and the server's clock, and
// what to do about the difference. Pure: numbers in, decisions out.

/** The host's last report: its position (s) and play state, stamped with the server's clock (ms). */
export interface Reference {
  position: number;
  playing: boolean;
  serverTs: number;
}

/** Past this the follower seeks; below it, it changes speed (docs/pages.md#the-watch-page). */
export const SEEK_BEYOND_S = 0.5;
/** Closer than this (10 ms) counts as in step: nothing to correct. */
export const IN_STEP_S = 0.01;
/** A paused follower further off than this seeks to the exact frame (seeking is cheap while paused). */
export const PAUSED_SLACK_S = 0.04;
/** How far from 1 the speed may go, and how fast a drift is closed (s of drift per s). */
export const MAX_NUDGE = 0.1;
const CLOSE_IN_S = 1;

/** Where the host's video is at server time `serverNow`: extrapolated while playing, within [0, duration]. */
export function targetPosition(ref: Reference, serverNow: number, duration = Infinity): number {
  const p = ref.playing ? ref.position + Math.max(0, serverNow - ref.serverTs) / 1000 : ref.position;
  return Math.min(Math.max(0, p), Number.isFinite(duration) ? duration : p);
}

export type Correction = { kind: "seek"; to: number } | { kind: "rate"; rate: number };

/**
 * A follower at `current` s with the host at `target`: seek when more than 0.5 s off (or, paused,
 * more than 40 ms); otherwise play slightly faster or slower so the drift closes in about a second,
 * at most 10% off normal speed; within 10 ms, normal speed.
 */
export function correction(current: number, target: number, playing: boolean): Correction {
  const drift = current - target;
  if (!playing) return Math.abs(drift) > PAUSED_SLACK_S ? { kind: "seek", to: target } : { kind: "rate", rate: 1 };
  if (Math.abs(drift) > SEEK_BEYOND_S) return { kind: "seek", to: target };
  if (Math.abs(drift) <= IN_STEP_S) return { kind: "rate", rate: 1 };
  const rate = 1 - drift / CLOSE_IN_S;
  return { kind: "rate", rate: Math.min(1 + MAX_NUDGE, Math.max(1 - MAX_NUDGE, rate)) };
}

/**
 * The server's clock as seen from the page, from ping/pong: offset = server − page, from the pong
 * with the shortest round trip among the last 20 (its error is at most half that round trip).
 */
export class ServerClock {
  private samples: { offset: number; rtt: number }[] = [];

  add(sentMs: number, serverTs: number, receivedMs: number): void {
    const rtt = receivedMs - sentMs;
    if (!(rtt >= 0) || !Number.isFinite(serverTs)) return;
    this.samples.push({ offset: serverTs - (sentMs + receivedMs) / 2, rtt });
    if (this.samples.length > 20) this.samples.shift();
  }

  private get best(): { offset: number; rtt: number } | null {
    return this.samples.reduce<{ offset: number; rtt: number } | null>((b, s) => (b === null || s.rtt < b.rtt ? s : b), null);
  }

  /** server − page (ms); 0 until the first pong. */
  get offset(): number {
    return this.best?.offset ?? 0;
  }

  get rtt(): number | null {
    return this.best?.rtt ?? null;
  }
}

/** 83.4 → "1:23", 3725 → "1:02:05". */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return hh ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

/** A media_url the page will play: http(s), absolute or relative to this server; else null. */
export function playableUrl(mediaUrl: string, base: string): string | null {
  if (!mediaUrl) return null;
  try {
    const u = new URL(mediaUrl, base);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}
