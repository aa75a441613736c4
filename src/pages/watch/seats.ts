// What a watch page keeps in sessionStorage (docs/pages.md#the-watch-page): the tab's client id,
// and per room its seat's resume_token and, for a host, what it needs to open the room again; and
// the films of the server's media folder for the landing page.
import { fill, h, $ } from "../lib/dom.ts";

const CLIENT_KEY = "sb-watch-client";
const seatKey = (room: string) => `sb-watch-seat:${room}`;

export interface Seat {
  token: string;
  hosted?: { media: string; position: number; playing: boolean };
}

const randomId = () => Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join("");

/** This tab's client id; `fresh` makes a new one (the old one's seat is held by another tab). */
export function clientId(fresh = false): string {
  const id = (!fresh && sessionStorage.getItem(CLIENT_KEY)) || `screen-${randomId()}`;
  sessionStorage.setItem(CLIENT_KEY, id);
  return id;
}

export function readSeat(room: string): Seat | null {
  try {
    return JSON.parse(sessionStorage.getItem(seatKey(room)) ?? "null") as Seat | null;
  } catch {
    return null;
  }
}

export const writeSeat = (room: string, s: Seat) => sessionStorage.setItem(seatKey(room), JSON.stringify(s));
export const forgetSeat = (room: string) => sessionStorage.removeItem(seatKey(room));

/** The playable files of --media-dir (GET /api/media, docs/common.md#media) into #media-file. */
export async function listMedia(): Promise<void> {
  const r = await fetch("/api/media", { cache: "no-store" }).catch(() => null);
  const list = r && r.ok ? ((await r.json()) as { files: { name: string; url: string }[] }).files : [];
  const select = $("#media-file") as HTMLSelectElement;
  fill(select, h("option", { value: "" }, list.length ? "Choose a film…" : "No films on this server"), list.map((f) => h("option", { value: f.url }, f.name)));
  select.disabled = list.length === 0;
  if (list.length === 1) select.value = list[0]!.url;
}
