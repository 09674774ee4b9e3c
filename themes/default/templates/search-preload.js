{#- The search page's first script, written into its <head> (templates/search.html) before the stylesheet, so
    that it runs as the parser reaches it: it neither waits for a file of its own (as a file loaded async, it
    came after the page's other files: fetched at low priority, and one of eight requests for the six
    connections a browser opens to a host over HTTP/1.1) nor for the stylesheet (an inline script after a
    stylesheet waits for it).

    It asks for search/manifest.json (taking the page's <link rel="preload">) and keeps the answer in
    window.papershelfSearchStart ({promise, manifest}: manifest is set once it is parsed). search.js takes it
    from there: when the manifest is in before search.js runs, as it usually is, search.js asks for the
    query's term shards while it runs, instead of a task later, after the page's first layout and paint.

    A query in the address that surely expands over the whole vocabulary (a word starting with "*", a fuzzy
    word~N: search.js, core.plan) needs search/vocabulary.json: it is preloaded now rather than asked for by
    search.js once lunr.js and search.js have run and the manifest is read. search.js asks for it at the same
    address (revalidated, and checked against the manifest's build id). <html data-base="/site/path/">. -#}
(function () {
  "use strict";
  var base = (document.documentElement.getAttribute("data-base") || "/").replace(/\/?$/, "/");
  var start = window.papershelfSearchStart = { promise: null, manifest: null };
  start.promise = fetch(base + "search/manifest.json", { credentials: "same-origin", cache: "no-cache" })
    .then(function (response) {
      if (!response.ok) throw new Error("search/manifest.json: HTTP " + response.status);
      return response.json();
    }).then(function (manifest) {
      start.manifest = manifest;
      return manifest;
    });
  start.promise.catch(function () {});  // search.js says so on the page

  var query = new URLSearchParams(window.location.search).get("q") || "";
  if (!/(^|[\s:+-])\*|\S~[0-9]/.test(query)) return;
  var link = document.createElement("link");
  link.rel = "preload";
  link.as = "fetch";
  link.crossOrigin = "anonymous";
  link.href = base + "search/vocabulary.json";
  document.head.appendChild(link);
})();
