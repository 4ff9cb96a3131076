// Verge's live-reload client, added to every page by `verge serve`.
// It listens to the dev server's events: updates the page in place when
// its HTML changed (morph.js; a full reload when that is not safe), swaps
// stylesheets in place when only CSS changed (scroll and state survive),
// shows build errors in an overlay and clears it when they are fixed, and
// reconnects after the server restarts.
import { learnBase, update } from "./morph.js";

const root = document.documentElement;
let instance = null;

function connect() {
  const es = new EventSource("/_verge/events?path=" + encodeURIComponent(location.pathname));
  es.onopen = () => { root.dataset.vergeLive = "connected"; };
  es.onerror = () => { root.dataset.vergeLive = "reconnecting"; };
  es.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    switch (m.type) {
      case "hello":
        // A new server process (the site was recompiled): reload to get
        // what it serves.
        if (instance !== null && instance !== m.instance) location.reload();
        instance = m.instance;
        break;
      case "reload":
        location.reload();
        break;
      case "page":
        pageChanged(m);
        break;
      case "css":
        swapStylesheets(new Set(m.paths), m.seq);
        break;
      case "assets":
        if (references(new Set(m.paths))) location.reload();
        break;
      case "errors":
        showErrors(m.errors);
        break;
      case "ok":
        hideErrors();
        break;
    }
  };
}

// The in-place update under way, and what arrived for the page since it
// started: updates run one at a time, and the last covers all before it.
let updating = null;
let again = false;
let cssSince = new Set();
let seqSince = 0;
let htmlSince = null;

// pageChanged updates the page whose HTML changed in build m.seq to
// m.html (the server sends it to save a round trip; without it the page
// is fetched). The stylesheets that changed in the same build (m.paths)
// are swapped after it; another file it references that changed
// (m.assets: an image, a script) needs a reload.
function pageChanged(m) {
  if (m.assets && references(new Set(m.assets))) {
    location.reload();
    return;
  }
  for (const p of m.paths || []) cssSince.add(p);
  seqSince = Math.max(seqSince, m.seq || 0);
  htmlSince = m.html || null;
  again = true;
  if (updating) return;
  updating = (async () => {
    while (again) {
      again = false;
      const css = cssSince, seq = seqSince, html = htmlSince;
      cssSince = new Set();
      if ((await update(html)) === "reload") return;
      if (css.size > 0) swapStylesheets(css, seq);
      root.dataset.vergePage = String(seq);
    }
  })().catch((e) => {
    // A bug of the morph's must not leave the page half updated.
    console.error("[verge] in-place update failed, reloading:", e);
    location.reload();
  }).finally(() => { updating = null; });
}

// swapStylesheets replaces the <link rel=stylesheet> for each of paths by a
// fresh one, removing the old ones only once the new has loaded, so the
// page never shows unstyled. Edits in quick succession each swap the
// newest link; whichever loads removes those before it.
function swapStylesheets(paths, seq) {
  const newest = new Map();
  for (const link of document.querySelectorAll('link[rel="stylesheet"]')) {
    const url = new URL(link.href, location.href);
    if (url.origin === location.origin && paths.has(url.pathname)) newest.set(url.pathname, link);
  }
  for (const [path, link] of newest) {
    const next = link.cloneNode();
    next.href = path + "?v=" + seq;
    next.removeAttribute("integrity");
    const done = () => {
      for (const old of document.querySelectorAll('link[rel="stylesheet"]')) {
        if (old === next) break;
        if (new URL(old.href, location.href).pathname === path) old.remove();
      }
    };
    next.onload = next.onerror = done;
    link.after(next);
  }
  root.dataset.vergeCss = String(seq);
}

// references reports whether the page uses one of paths.
function references(paths) {
  for (const el of document.querySelectorAll("[src], [href], [srcset]")) {
    for (const attr of ["src", "href"]) {
      const v = el.getAttribute(attr);
      if (v && paths.has(new URL(v, location.href).pathname)) return true;
    }
    const set = el.getAttribute("srcset");
    if (set && set.split(",").some((c) => paths.has(new URL(c.trim().split(/\s+/)[0], location.href).pathname))) return true;
  }
  return false;
}

const overlayStyle = `
:host { position: fixed; inset: 0; z-index: 2147483647; background: rgba(0,0,0,.66);
  display: flex; align-items: flex-start; justify-content: center; overflow: auto;
  font: 14px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.box { margin: 5vh 2vw; max-width: 960px; width: 100%; background: #1e1e24; color: #eee;
  border-top: 4px solid #e5484d; border-radius: 6px; padding: 16px 24px; box-shadow: 0 8px 40px #000; }
h1 { font-size: 16px; color: #ff8589; margin: 0 0 12px; }
.err { margin: 16px 0; }
.loc { color: #8ab4f8; }
.msg { white-space: pre-wrap; margin: 4px 0; }
.hint { color: #c9d36a; white-space: pre-wrap; }
pre { background: #111; padding: 8px 0; border-radius: 4px; overflow: auto; margin: 8px 0 0; }
.line { display: block; padding: 0 12px; white-space: pre; }
.line.hit { background: #4a1d20; }
.n { color: #777; display: inline-block; min-width: 3em; user-select: none; }
footer { color: #999; font-size: 12px; margin-top: 12px; }`;

function showErrors(errors) {
  hideErrors();
  const host = document.createElement("verge-error-overlay");
  const shadow = host.attachShadow({ mode: "open" });
  const style = document.createElement("style");
  style.textContent = overlayStyle;
  const box = document.createElement("div");
  box.className = "box";
  const h = document.createElement("h1");
  h.textContent = errors.length === 1 ? "Build failed" : `Build failed: ${errors.length} errors`;
  box.append(h);
  for (const e of errors) {
    const div = document.createElement("div");
    div.className = "err";
    if (e.file) {
      const loc = document.createElement("div");
      loc.className = "loc";
      loc.textContent = e.file + (e.line ? ":" + e.line + (e.col ? ":" + e.col : "") : "");
      div.append(loc);
    }
    const msg = document.createElement("div");
    msg.className = "msg";
    msg.textContent = e.msg;
    div.append(msg);
    if (e.hint) {
      const hint = document.createElement("div");
      hint.className = "hint";
      hint.textContent = "hint: " + e.hint;
      div.append(hint);
    }
    if (e.excerpt) {
      const pre = document.createElement("pre");
      for (const l of e.excerpt) {
        const line = document.createElement("span");
        line.className = l.n === e.line ? "line hit" : "line";
        const n = document.createElement("span");
        n.className = "n";
        n.textContent = String(l.n);
        line.append(n, l.text);
        pre.append(line);
      }
      div.append(pre);
    }
    box.append(div);
  }
  const foot = document.createElement("footer");
  foot.textContent = "The page shows the last good build. This overlay goes away by itself when the error is fixed.";
  box.append(foot);
  shadow.append(style, box);
  root.append(host);
}

function hideErrors() {
  for (const el of document.querySelectorAll("verge-error-overlay")) el.remove();
}

learnBase();
connect();
