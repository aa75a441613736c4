// The start page "/" (docs/pages.md#the-start-page): what this server is, each listed page with
// the URL and QR code a phone should use, and the endpoints with live connection counts.
import { fetchInfo, phoneBase, phoneUrl, type Info, type InfoEndpoint } from "../lib/api.ts";
import { $, fill, h } from "../lib/dom.ts";
import { Poll } from "../lib/poll.ts";
import { qrSvg } from "../lib/qr.ts";
import { statusBadge } from "../lib/status.ts";

interface Health {
  status: string;
  connections: Record<string, number>;
}

let shown = "";
const counts = new Map<string, HTMLElement>();

/** Host and port only: what a person types (the scheme is implied for http). */
const typed = (url: string) => url.replace(/^http:\/\//, "");

/** A URL as text that wraps after its slashes rather than mid-word on a narrow screen. */
const wrapped = (url: string) => url.split(/(?<=\/)/).flatMap((part, i) => (i ? [h("wbr"), part] : [part]));

function renderJoin(i: Info): void {
  const base = phoneBase(i);
  $("#join-url").textContent = typed(base);
  fill($("#join-qr"), qrSvg(base + "/", { label: `QR code for ${base}` }));
  const note = $("#join-note");
  note.hidden = i.lan || base !== i.url;
  note.textContent = "Only this machine can open this address: the server listens on loopback or has no network. Start it with --host 0.0.0.0 to let phones join.";
}

function pageCard(i: Info, p: Info["pages"][number]) {
  const url = phoneUrl(i, p.path);
  return h(
    "li",
    null,
    h(
      "a",
      { class: "card sb-card", href: p.path },
      h("div", { class: "card-text" }, h("h3", null, p.title), h("p", { class: "sb-muted" }, p.summary)),
      h("div", { class: "card-qr" }, qrSvg(url, { label: `QR code for ${url}` })),
      h("p", { class: "card-url sb-mono" }, wrapped(typed(url))),
    ),
  );
}

function endpointRow(i: Info, e: InfoEndpoint) {
  const base = phoneBase(i);
  const url = e.kind === "ws" ? base.replace(/^http/, "ws") + e.path : base + e.path;
  const count = h("span", { class: "count sb-muted" });
  if (e.connections) counts.set(e.connections, count);
  // HTTP endpoints are links; a browser cannot open a WebSocket one, so it gets its count instead.
  const path = e.kind === "http" ? h("a", { href: e.path }, h("code", null, e.path)) : h("code", null, e.path);
  return h(
    "li",
    { class: `endpoint ${e.kind}` },
    h("div", { class: "ep-path" }, path, ...e.aliases.map((a) => h("code", { class: "alias" }, a))),
    h("div", { class: "ep-what" }, h("strong", null, e.protocol), " ", h("span", { class: "sb-muted" }, e.summary)),
    h("div", { class: "ep-meta" }, e.doc ? h("span", { class: "doc sb-muted" }, e.doc) : null, count),
    h("div", { class: "ep-url sb-mono sb-muted" }, wrapped(url)),
  );
}

function render(i: Info): void {
  const key = JSON.stringify([i, phoneBase(i)]);
  if (key === shown) return;
  shown = key;
  renderJoin(i);
  fill($("#pages"), i.pages.map((p) => pageCard(i, p)));
  $("#pages-empty").hidden = i.pages.length > 0;
  counts.clear();
  fill($("#endpoints"), i.endpoints.map((e) => endpointRow(i, e)));
  $("#foot").textContent = `Switchboard ${i.version}`;
}

function renderCounts(hz: Health): void {
  for (const [key, el] of counts) {
    const n = hz.connections[key] ?? 0;
    el.textContent = n === 1 ? "1 connected" : `${n} connected`;
    el.classList.toggle("live", n > 0);
  }
}

// /healthz is the heartbeat: the badge shows whether the server answers. After an outage (or at
// start) the info is fetched again: a restarted server may have another address.
let infoStale = true;
const health = new Poll<Health>("/healthz", {
  name: "Server",
  everyMs: 5000,
  onData(hz) {
    if (infoStale) {
      infoStale = false;
      fetchInfo().then(
        (i) => {
          render(i);
          renderCounts(hz);
        },
        () => (infoStale = true),
      );
    }
    renderCounts(hz);
  },
});
health.onChange(() => {
  if (health.state !== "open") infoStale = true;
});
statusBadge([health]);
