// Written by verge deploy --target cloudflare. Do not edit: every deploy
// writes it again.
//
// Requests on the site's API function routes go to the origin
// (env.VERGE_ORIGIN). Cloudflare's cache stores those answers as the
// origin's CDN-Cache-Control says and indexes them by its Cache-Tag, so
// verge purge reaches them. Every other request is a static asset.
// Each route: a pattern over the URL path, and whether Cloudflare's
// cache may keep its answers.
const ROUTES = /*ROUTES*/[].map(([s, cache]) => [new RegExp(s), cache]);

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const route = ROUTES.find(([re]) => re.test(url.pathname));
    if (route) {
      // Set the path on the origin's URL rather than resolve it against
      // it: "//host/x" would resolve to another host.
      const origin = new URL(env.VERGE_ORIGIN);
      origin.pathname = origin.pathname.replace(/\/$/, "") + url.pathname;
      origin.search = url.search;
      // cacheEverything: Cloudflare caches only static file types by
      // default; this lets the origin's CDN-Cache-Control decide. Not for
      // answers that vary by a request header: Cloudflare ignores Vary.
      // Nor for requests with Authorization (RFC 9111 section 3.5): the
      // origin answers them for one caller, and Cloudflare's cache would
      // give that answer to everyone.
      const cache = route[1] && !request.headers.has("Authorization");
      return fetch(new Request(origin, request), cache ? { cf: { cacheEverything: true } } : {});
    }
    return env.ASSETS.fetch(request);
  },
};
