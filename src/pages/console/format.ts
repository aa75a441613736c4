// Small text helpers of the operator console: durations, media positions, counts.

/** "45 s", "12 min", "3 h 05 min", "2 d 4 h". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const hrs = Math.floor(m / 60);
  if (hrs < 24) return `${hrs} h ${String(m % 60).padStart(2, "0")} min`;
  return `${Math.floor(hrs / 24)} d ${hrs % 24} h`;
}

/** A media position as 12:34 or 1:02:03. */
export function clockTime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return hh ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

/** "1 buzzer", "3 buzzers". */
export const count = (n: number, one: string, many = one + "s") => `${n} ${n === 1 ? one : many}`;

/** Local time of day, HH:MM:SS. */
export const timeOfDay = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/** A URL as text that wraps after its slashes rather than mid-word. */
export const typed = (url: string) => url.replace(/^http:\/\//, "");
