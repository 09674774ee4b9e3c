/* papershelf search page: queries the prebuilt lunr index (search/index.json) with lunr.js.
 *
 * DOM contract (templates/search.html): form#search-form, input#search-input,
 * p#search-status (aria-live), ol#search-results; <html data-base="/site/path/">.
 * Results are built with createElement/textContent only: titles and abstracts
 * come from many hands and may contain markup, which must stay text.
 */
(function () {
  "use strict";

  var form = document.getElementById("search-form");
  var input = document.getElementById("search-input");
  var statusEl = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  if (!form || !input || !statusEl || !list) return;

  var base = document.documentElement.getAttribute("data-base") || "/";
  if (base.charAt(base.length - 1) !== "/") base += "/";

  var DEBOUNCE_MS = 200;
  var MAX_RESULTS = 50;
  var SNIPPET_CHARS = 240;
  var HINT = "Search titles, authors, tags and abstracts. " +
    "Several words find papers with all of them; title:diffusion searches one field " +
    "(title, authors, tags, abstract); +music -noise requires or excludes a word; lott* matches word beginnings.";
  // Query characters with a meaning in lunr's syntax; a query using any of them is passed on as typed.
  // ("-" only counts at the start of a word: "state-space" is a plain word.)
  var SYNTAX = /(^|\s)[+\-]|[:*~^\\]/;
  // lunr.js trims non-ASCII-word characters from both ends of every indexed word, so a
  // query word without a single [A-Za-z0-9_] cannot match anything meaningful.
  var SEARCHABLE = /[A-Za-z0-9_]/;

  var state = { index: null, docs: null, loading: null, error: null };
  var timer = null;

  function setStatus(text) {
    statusEl.textContent = text;
  }

  function fetchJSON(path) {
    return fetch(base + path, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error(path + ": HTTP " + response.status);
      return response.json();
    });
  }

  // The index and documents are fetched once per page; every query reuses them.
  function load() {
    if (!state.loading) {
      if (typeof lunr === "undefined") {
        state.loading = Promise.reject(new Error("lunr.js did not load"));
      } else {
        state.loading = Promise.all([fetchJSON("search/index.json"), fetchJSON("search/docs.json")])
          .then(function (parts) {
            state.index = lunr.Index.load(parts[0]);
            state.docs = parts[1];
          });
      }
      state.loading.catch(function (err) { state.error = err; });
    }
    return state.loading;
  }

  function readQuery() {
    return new URLSearchParams(window.location.search).get("q") || "";
  }

  function writeQuery(query) {
    var params = new URLSearchParams(window.location.search);
    if (query) params.set("q", query); else params.delete("q");
    var search = params.toString();
    var url = window.location.pathname + (search ? "?" + search : "") + window.location.hash;
    if (url !== window.location.pathname + window.location.search + window.location.hash) {
      window.history.replaceState(window.history.state, "", url);
    }
  }

  function clearResults() {
    while (list.firstChild) list.removeChild(list.firstChild);
  }

  function isStopWord(word) {
    return !lunr.stopWordFilter(new lunr.Token(word));
  }

  // A plain query ("video generation") first asks for papers with every word, and
  // falls back to any word when none has them all; syntax queries run as typed.
  function runSearch(query) {
    var words = query.split(/\s+/).filter(function (w) { return SEARCHABLE.test(w); });
    if (!words.length) return [];
    if (!SYNTAX.test(query)) {
      var required = query.split(/[\s\-]+/).filter(function (w) {
        return SEARCHABLE.test(w) && !isStopWord(lunr.trimmer(new lunr.Token(w.toLowerCase())).toString());
      });
      if (required.length > 1) {
        var all = state.index.search(required.map(function (w) { return "+" + w; }).join(" "));
        if (all.length) return all;
      }
    }
    return state.index.search(words.join(" "));
  }

  function show(query) {
    clearResults();
    var shown = query.trim();
    if (!shown) {
      setStatus(HINT);
      return;
    }
    if (state.error) {
      setStatus("The search index could not be loaded (" + state.error.message + "). Reload the page to try again.");
      return;
    }
    if (!state.index) {
      setStatus("Loading…");
      load().then(function () { if (input.value.trim() === shown) show(input.value); },
                  function () { show(input.value); });
      return;
    }
    var results;
    try {
      results = runSearch(shown);
    } catch (err) {
      if (err instanceof lunr.QueryParseError || (err && err.name === "QueryParseError")) {
        setStatus("Could not read the query “" + shown + "”: " + err.message + ". " + HINT);
        return;
      }
      throw err;
    }
    if (!results.length) {
      setStatus("No results for “" + shown + "”.");
      return;
    }
    var count = results.length;
    setStatus(count + (count === 1 ? " result" : " results") + " for “" + shown + "”" +
              (count > MAX_RESULTS ? ", showing the first " + MAX_RESULTS : "") + ".");
    var fragment = document.createDocumentFragment();
    results.slice(0, MAX_RESULTS).forEach(function (result) {
      var doc = state.docs[Number(result.ref)];
      if (doc) fragment.appendChild(renderResult(doc, matchedTerms(result)));
    });
    list.appendChild(fragment);
  }

  function matchedTerms(result) {
    var terms = Object.create(null);
    Object.keys(result.matchData.metadata).forEach(function (t) { terms[t] = true; });
    return terms;
  }

  // The index term lunr.js would make of a word of displayed text.
  function termOf(word) {
    return lunr.stemmer(lunr.trimmer(new lunr.Token(word.toLowerCase()))).toString();
  }

  // Appends ``text`` to ``parent`` as text nodes, wrapping words whose term matched in <mark>.
  function appendMarked(parent, text, terms) {
    var pattern = /[^\s\-]+/g, last = 0, m;
    while ((m = pattern.exec(text)) !== null) {
      var word = m[0];
      var core = word.replace(/^\W+/, "").replace(/\W+$/, "");
      if (!core || !terms[termOf(word)]) continue;
      var start = m.index + word.indexOf(core);
      if (start > last) parent.appendChild(document.createTextNode(text.slice(last, start)));
      var mark = document.createElement("mark");
      mark.textContent = core;
      parent.appendChild(mark);
      last = start + core.length;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // A window of the abstract around its first matching word.
  function snippet(text, terms) {
    if (text.length <= SNIPPET_CHARS) return text;
    var pattern = /[^\s\-]+/g, m, first = 0;
    while ((m = pattern.exec(text)) !== null) {
      if (terms[termOf(m[0])]) { first = m.index; break; }
    }
    var start = Math.max(0, first - 60);
    if (start > 0) {
      var space = text.indexOf(" ", start);
      start = space >= 0 && space < first ? space + 1 : first;
    }
    var end = Math.min(text.length, start + SNIPPET_CHARS);
    if (end < text.length) {
      var cut = text.lastIndexOf(" ", end);
      if (cut > first) end = cut;
    }
    return (start > 0 ? "…" : "") + text.slice(start, end) + (end < text.length ? "…" : "");
  }

  function renderResult(doc, terms) {
    var item = document.createElement("li");
    item.className = "search-result";

    var heading = document.createElement("h2");
    heading.className = "search-result-title";
    var link = document.createElement("a");
    link.href = base + doc.url;
    appendMarked(link, doc.title, terms);
    heading.appendChild(link);
    item.appendChild(heading);

    if (doc.date || (doc.tags && doc.tags.length)) {
      var meta = document.createElement("p");
      meta.className = "search-result-meta";
      if (doc.date) {
        var time = document.createElement("time");
        time.dateTime = doc.date;
        time.textContent = doc.date;
        meta.appendChild(time);
      }
      (doc.tags || []).forEach(function (tag) {
        var span = document.createElement("span");
        span.className = "tag";
        span.textContent = tag;
        meta.appendChild(document.createTextNode(" "));
        meta.appendChild(span);
      });
      item.appendChild(meta);
    }

    if (doc.text) {
      var p = document.createElement("p");
      p.className = "search-result-snippet";
      appendMarked(p, snippet(doc.text, terms), terms);
      item.appendChild(p);
    }
    return item;
  }

  function update() {
    var query = input.value;
    writeQuery(query.trim());
    show(query);
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, DEBOUNCE_MS);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    window.clearTimeout(timer);
    update();
  });

  var initial = readQuery();
  if (initial) input.value = initial;
  load().catch(function () { /* reported by show() */ });
  show(input.value);
})();
