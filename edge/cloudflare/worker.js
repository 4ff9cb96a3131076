// Written by verge deploy --target cloudflare. Do not edit: every deploy
// writes it again.
//
// Requests on the site's API function routes go to the origin
// (env.VERGE_ORIGIN). Cloudflare's cache stores those answers as the
// origin's CDN-Cache-Control says and indexes them by its Cache-Tag, so
// verge purge reaches them. Every other request is a static asset.
const ROUTES = /*ROUTES*/[].map((s) => new RegExp(s));

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (ROUTES.some((re) => re.test(url.pathname))) {
      const origin = new URL(url.pathname + url.search, env.VERGE_ORIGIN);
      return fetch(new Request(origin, request));
    }
    return env.ASSETS.fetch(request);
  },
};
