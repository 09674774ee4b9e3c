/* papershelf search page: loaded async from the page's head, so it runs as soon as it arrives, beside the
 * preloaded manifest and before the page's other scripts have run. A query in the address that surely
 * expands over the whole vocabulary (a word starting with "*", a fuzzy word~N: search.js, core.plan) needs
 * search/vocabulary.json: it is preloaded now rather than asked for by search.js once lunr.js and search.js
 * have run and the manifest is read. search.js asks for it at the same address (revalidated, and checked
 * against the manifest's build id). <html data-base="/site/path/">.
 */
(function () {
  "use strict";
  var query = new URLSearchParams(window.location.search).get("q") || "";
  if (!/(^|[\s:+-])\*|\S~[0-9]/.test(query)) return;
  var base = document.documentElement.getAttribute("data-base") || "/";
  var link = document.createElement("link");
  link.rel = "preload";
  link.as = "fetch";
  link.crossOrigin = "anonymous";
  link.href = base.replace(/\/?$/, "/") + "search/vocabulary.json";
  document.head.appendChild(link);
})();
