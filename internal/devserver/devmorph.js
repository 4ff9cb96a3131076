// Verge's in-place page update, imported by the live-reload client.
//
// When a page's HTML changes, the client fetches it again and morphs the
// open document into it rather than reloading: the nodes that stayed the
// same stay (scroll position, focus, text typed into a field, a running
// video), the title and the stylesheets follow, and the page's scripts do
// not run again. Eleventy's dev server does the same with morphdom; this
// one is smaller and stricter about when it may.
//
// A morph is only right when the page is still what the server sent: if
// a script changed the DOM (built a widget, upgraded a custom element) or
// the page's scripts, <base> or other load-time head elements changed,
// morphing would undo the script's work or leave old code running, so the
// page reloads instead, as it does when anything fails along the way.
// The live document is held to the HTML it was served as (base): the page
// is fetched once at load, and each update's HTML becomes the next base.

const liveClient = "/_verge/live.js";

// Base is the parsed HTML the open document was served as, or a promise
// of it; null when it could not be had (the page then reloads).
let base = null;

// learnBase fetches the open page's HTML as it is served now, to compare
// the live document with before its first update.
export function learnBase() {
  base = fetchDoc().then(
    (doc) => {
      // For tests: an edit from now on can update the page in place.
      document.documentElement.dataset.vergeBase = "known";
      return doc;
    },
    () => null,
  );
}

async function fetchDoc() {
  const url = location.href.split("#")[0];
  const resp = await fetch(url, { cache: "no-store", credentials: "same-origin" });
  const type = resp.headers.get("Content-Type") || "";
  if (!resp.ok || resp.redirected || !type.startsWith("text/html")) {
    throw new Error(`${url}: ${resp.status} ${type}${resp.redirected ? " (redirected)" : ""}`);
  }
  return parse(await resp.text());
}

function parse(html) {
  const doc = new DOMParser().parseFromString(html, "text/html");
  if (!doc.body || !doc.head) throw new Error("the page has no <head> or <body>");
  return doc;
}

// update brings the open page up to date with its HTML as served now
// (html, or fetched when that is null), in place when it can. It resolves
// to "morphed", or "reload" when a full reload has been started instead.
export async function update(html) {
  let next, old;
  try {
    old = await base;
    next = html ? parse(html) : await fetchDoc();
  } catch (e) {
    return reload(e.message);
  }
  const why = old ? unsafe(old, next) : "the page's served HTML is unknown";
  if (why) return reload(why);
  await morphHead(old.head, next.head);
  const focused = document.activeElement;
  const x = scrollX, y = scrollY;
  syncAttrs(document.documentElement, old.documentElement, next.documentElement);
  morphChildren(document.body, next.body);
  syncAttrs(document.body, old.body, next.body);
  if (document.title !== next.title) document.title = next.title;
  // Nodes removed before their replacement was added may have shortened
  // the page for a moment; the browser clamps the scroll then.
  if (scrollX !== x || scrollY !== y) scrollTo(x, y);
  if (focused && focused !== document.body && !focused.isConnected && focused.id) {
    document.getElementById(focused.id)?.focus({ preventScroll: true });
  }
  base = next;
  document.dispatchEvent(new CustomEvent("verge:update"));
  return "morphed";
}

function reload(why) {
  console.info("[verge] reloading the page:", why);
  location.reload();
  return "reload";
}

// unsafe says why the page cannot be morphed from old to next, or "" when
// it can.
function unsafe(old, next) {
  if (!same(document.body, old.body)) return "the page is not as served (a script changed it, or it changed before its HTML was known)";
  if (!sameList(scripts(old), scripts(next))) return "the page's scripts changed";
  if (!sameList(loadTime(old.head), loadTime(next.head))) return "a <head> element read only at load changed";
  return "";
}

// scripts are a document's script elements but the live-reload client
// and structured data.
function scripts(doc) {
  return [...doc.querySelectorAll("script")].filter((s) => s.getAttribute("src") !== liveClient && !structuredData(s)).map((s) => s.outerHTML);
}

// structuredData reports whether a script element is JSON-LD, which
// templates fill with the title and summary for search engines and no
// script of the page's runs: a change to it is updated in place.
function structuredData(s) {
  return (s.getAttribute("type") || "").trim().toLowerCase() === "application/ld+json";
}

// headKind sorts a <head> child: a stylesheet (swapped in place), the
// title, inert metadata (updated in place: nothing reads it after load
// that a reload would redo), or load-time (a change needs a reload).
function headKind(el) {
  const tag = el.localName;
  const rel = (el.getAttribute("rel") || "").toLowerCase().split(/\s+/);
  if (tag === "style" || (tag === "link" && rel.includes("stylesheet"))) return "style";
  if (tag === "title") return "title";
  if (tag === "meta" && !el.hasAttribute("charset") && !el.hasAttribute("http-equiv")) return "inert";
  if (tag === "link" || (tag === "script" && structuredData(el))) return "inert";
  if (tag === "script") return "script"; // compared with the body's scripts
  return "load";
}

function loadTime(head) {
  return [...head.children].filter((el) => headKind(el) === "load").map((el) => el.outerHTML);
}

function sameList(a, b) {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

// same reports whether the live node a is as parsed node b: equal but
// for <noscript>, which a document parsed without scripting (DOMParser)
// holds as elements and the live one as text.
function same(a, b) {
  if (a.isEqualNode(b)) return true;
  if (a.nodeType !== b.nodeType || a.nodeName !== b.nodeName) return false;
  if (a.localName === "noscript") return true;
  if (a.nodeType !== Node.ELEMENT_NODE || !sameAttrs(a, b)) return false;
  const ac = a.childNodes, bc = b.childNodes;
  if (ac.length !== bc.length) return false;
  for (let i = 0; i < ac.length; i++) if (!same(ac[i], bc[i])) return false;
  return true;
}

function sameAttrs(a, b) {
  if (a.attributes.length !== b.attributes.length) return false;
  for (const at of a.attributes) if (b.getAttribute(at.name) !== at.value) return false;
  return true;
}

// syncAttrs applies to el what changed in attributes from old to next,
// leaving those a script set (a theme class on <html>, the live client's
// data-verge-*) alone.
function syncAttrs(el, old, next) {
  for (const at of old.attributes) if (!next.hasAttribute(at.name)) el.removeAttribute(at.name);
  for (const at of next.attributes) if (old.getAttribute(at.name) !== at.value) el.setAttribute(at.name, at.value);
}

// styleKey names a stylesheet by what it loads, so a sheet the client
// swapped (href?v=N, no integrity) is the one the server still writes.
function styleKey(el) {
  const media = el.getAttribute("media") || "";
  if (el.localName === "style") return "style " + media + " " + el.textContent;
  return "link " + media + " " + new URL(el.getAttribute("href") || "", location.href).pathname;
}

// morphHead updates the title-less rest of <head> from old to next: new
// stylesheets are added and loaded before the ones gone are removed (so
// the page never shows unstyled), inert metadata follows.
async function morphHead(old, next) {
  const head = document.head;
  const live = [...head.children].filter((el) => headKind(el) === "style");
  const keyOf = new Map(live.map((el) => [el, styleKey(el)]));
  const wanted = [...next.children].filter((el) => headKind(el) === "style");
  const loads = [];
  let after = null; // the last stylesheet placed, new or kept
  for (const el of wanted) {
    const key = styleKey(el);
    // The newest: a sheet being swapped has its old link still before it.
    const kept = live.findLast((l) => keyOf.get(l) === key);
    if (kept) {
      keyOf.set(kept, null); // used
      after = kept;
      continue;
    }
    const add = document.importNode(el, true);
    if (add.localName === "link") loads.push(loaded(add));
    if (after) after.after(add);
    else if (live.length > 0) live[0].before(add);
    else head.append(add);
    after = add;
  }
  await Promise.all(loads);
  for (const el of live) if (keyOf.get(el) !== null) el.remove();

  const was = new Set([...old.children].filter((el) => headKind(el) === "inert").map((el) => el.outerHTML));
  const now = new Set([...next.children].filter((el) => headKind(el) === "inert").map((el) => el.outerHTML));
  for (const el of [...head.children]) if (headKind(el) === "inert" && was.has(el.outerHTML) && !now.has(el.outerHTML)) el.remove();
  for (const el of next.children) if (headKind(el) === "inert" && !was.has(el.outerHTML)) head.append(document.importNode(el, true));
}

// loaded resolves when a stylesheet link has loaded or failed, or after
// two seconds: a sheet that never answers must not hold the page.
function loaded(link) {
  return new Promise((resolve) => {
    link.addEventListener("load", resolve, { once: true });
    link.addEventListener("error", resolve, { once: true });
    setTimeout(resolve, 2000);
  });
}

// lookahead bounds how far morphChildren searches siblings for a match:
// enough for a paragraph or two inserted or removed, linear in the page.
const lookahead = 8;

// morphChildren makes from's children those of to (a parsed node): equal
// nodes are kept, nodes with the same id or of the same kind are updated
// in place, and the rest inserted or removed.
function morphChildren(from, to) {
  let cur = from.firstChild;
  for (let n = to.firstChild; n; n = n.nextSibling) {
    if (cur && cur.isEqualNode(n)) {
      cur = cur.nextSibling;
      continue;
    }
    const id = n.nodeType === Node.ELEMENT_NODE ? n.id : "";
    // The element with n's id, wherever it went among from's children.
    let match = id ? sibling(cur, (c) => c.id === id && similar(c, n), Infinity) : null;
    if (!match && cur) {
      if (sibling(n.nextSibling, (s) => s.isEqualNode(cur), lookahead)) {
        // cur comes later in to: n is new here.
        from.insertBefore(document.importNode(n, true), cur);
        continue;
      }
      const eq = sibling(cur.nextSibling, (c) => c.isEqualNode(n), lookahead);
      if (eq) {
        // n comes later in from: the nodes before it are gone.
        while (cur !== eq) {
          const next = cur.nextSibling;
          cur.remove();
          cur = next;
        }
        cur = eq.nextSibling;
        continue;
      }
      if (similar(cur, n)) match = cur;
    }
    if (!match) {
      from.insertBefore(document.importNode(n, true), cur);
      continue;
    }
    if (match !== cur) from.insertBefore(match, cur);
    morphNode(match, n);
    cur = match.nextSibling;
  }
  while (cur) {
    const next = cur.nextSibling;
    cur.remove();
    cur = next;
  }
}

// sibling returns the first of node and its next siblings, up to limit
// of them, for which ok holds.
function sibling(node, ok, limit) {
  for (let i = 0; node && i < limit; node = node.nextSibling, i++) if (ok(node)) return node;
  return null;
}

// similar reports whether a may be updated in place into b: the same kind
// of node, and not a script (which would not run again) or an element
// whose id says it is another one.
function similar(a, b) {
  if (a.nodeType !== b.nodeType || a.nodeName !== b.nodeName) return false;
  if (a.nodeType !== Node.ELEMENT_NODE) return true;
  if (a.localName === "script" || a.localName === "template") return false;
  return (a.id || "") === (b.id || "");
}

// morphNode makes a like b. Form fields keep what the user typed: only
// their attributes (the default value) change, as in a fresh parse the
// user had not touched.
function morphNode(a, b) {
  if (a.isEqualNode(b)) return;
  if (a.nodeType !== Node.ELEMENT_NODE) {
    a.nodeValue = b.nodeValue;
    return;
  }
  for (const at of [...a.attributes]) if (!b.hasAttribute(at.name)) a.removeAttribute(at.name);
  for (const at of b.attributes) if (a.getAttribute(at.name) !== at.value) a.setAttribute(at.name, at.value);
  morphChildren(a, b);
}
