// The connection badge every page shows (docs/pages.md#connection-state): one pill with a dot
// and a word, for the worst of the page's links, with a countdown while waiting to retry.
// Tests and kiosk scripts read its data-state attribute.
import type { Live, LiveState } from "./live.ts";

const rank: Record<LiveState, number> = { open: 0, connecting: 1, waiting: 2, offline: 3, closed: 4 };

function label(l: Live, now: number): string {
  switch (l.state) {
    case "open":
      return "Connected";
    case "connecting":
      return "Connecting…";
    case "waiting": {
      const s = Math.max(1, Math.ceil(((l.retryAt ?? now) - now) / 1000));
      return `Reconnecting in ${s} s`;
    }
    case "offline":
      return "Offline: waiting for the network";
    case "closed":
      return l.reason ? `Disconnected: ${l.reason}` : "Disconnected";
  }
}

/**
 * Creates the badge for these links and appends it to `parent` (default: document.body, where
 * base.css pins it to the top right corner). Returns the element.
 */
export function statusBadge(links: Live[], parent: HTMLElement = document.body): HTMLElement {
  const el = document.createElement("div");
  el.className = "sb-status";
  el.setAttribute("role", "status");
  el.setAttribute("aria-live", "polite");
  const dot = document.createElement("span");
  dot.className = "sb-status-dot";
  const text = document.createElement("span");
  text.className = "sb-status-text";
  el.append(dot, text);
  let ticker: ReturnType<typeof setInterval> | null = null;

  const render = () => {
    const now = Date.now();
    const worst = links.reduce<Live | null>((w, l) => (w === null || rank[l.state] > rank[w.state] ? l : w), null);
    const state: LiveState = worst?.state ?? "open";
    const words = worst ? label(worst, now) : "Connected";
    el.dataset.state = state;
    // With several links, say which one is in trouble.
    text.textContent = worst && links.length > 1 && state !== "open" ? `${worst.name}: ${words}` : words;
    el.title = links.map((l) => `${l.name}: ${label(l, now)}`).join("\n");
    // The countdown needs a tick only while some link waits.
    const waiting = links.some((l) => l.state === "waiting");
    if (waiting && ticker === null) ticker = setInterval(render, 1000);
    if (!waiting && ticker !== null) {
      clearInterval(ticker);
      ticker = null;
    }
  };
  for (const l of links) l.onChange(render);
  render();
  parent.append(el);
  return el;
}
