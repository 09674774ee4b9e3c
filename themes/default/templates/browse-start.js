{#- The browse page's first script, written into its <head> (templates/browse.html) before the stylesheet,
    so that it runs as the parser reaches it. With a query in the address (?q=...), the list waits for
    lunr.js, search.js and the search index's manifest, then the query's shards, then the cards: it asks
    for the first three now, beside the page's other files, instead of once browse.js has arrived and run
    (a round trip later). Without a query it does nothing: preloading them on every address made every
    address slower (three more requests for the six connections a browser opens to a host over HTTP/1.1).
    browse.js loads the two scripts from the same addresses (taking these preloads); the manifest is read as
    on the search page (search-preload.js: window.papershelfSearchStart, which search.js takes). -#}
(function () {
  "use strict";
  if (!(new URLSearchParams(window.location.search).get("q") || "").trim()) return;
  var base = (document.documentElement.getAttribute("data-base") || "/").replace(/\/?$/, "/");
  ["lunr.min.js", "search.js"].forEach(function (name) {
    var link = document.createElement("link");
    link.rel = "preload";
    link.as = "script";
    link.href = base + "assets/" + name;
    document.head.appendChild(link);
  });
{% include "search-preload.js" %}
})();
