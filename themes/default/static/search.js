/* papershelf search page: queries the prebuilt, split lunr index (search/manifest.json) with lunr.js.
 *
 * The index comes in term shards (generator/search/shards.py). A query fetches the
 * shards holding its terms, rebuilds a lunr.Index from them (assemble) and lets
 * lunr.js answer it: a lunr score only involves the query terms' weights, so the
 * answer is that of the whole index. Queries needing the whole vocabulary (a leading
 * wildcard, fuzzy ~N, a very short prefix) fetch every shard. Result documents come
 * in small chunks by ref; only the shown page's chunks are fetched.
 *
 * The pure part (`core`) is exported under Node (tests/js/split_oracle.js tests it
 * against one lunr index); the page part runs in browsers only.
 *
 * DOM contract (templates/search.html): form#search-form, input#search-input,
 * p#search-status (aria-live), ol#search-results; <html data-base="/site/path/">.
 * Results are built with createElement/textContent only: titles and abstracts
 * come from many hands and may contain markup, which must stay text.
 */
(function () {
  "use strict";

  // Query characters with a meaning in lunr's syntax; a query using any of them is passed on as typed.
  // ("-" only counts at the start of a word: "state-space" is a plain word.)
  var SYNTAX = /(^|\s)[+\-]|[:*~^\\]/;
  // lunr.js trims non-ASCII-word characters from both ends of every indexed word, so a
  // query word without a single [A-Za-z0-9_] cannot match anything meaningful.
  var SEARCHABLE = /[A-Za-z0-9_]/;
  // The metadata of every posting: the index keeps none, and lunr copies what it reads.
  var NO_METADATA = {};

  var core = {
    // The lunr queries to run, in order, for what the reader typed: a plain query
    // ("video generation") first asks for papers with every word and falls back to
    // any word when none has them all; syntax queries run as typed.
    queries: function (lunr, query) {
      var words = query.split(/\s+/).filter(function (w) { return SEARCHABLE.test(w); });
      if (!words.length) return [];
      var out = [];
      if (!SYNTAX.test(query)) {
        var required = query.split(/[\s\-]+/).filter(function (w) {
          if (!SEARCHABLE.test(w)) return false;
          var trimmed = lunr.trimmer(new lunr.Token(w.toLowerCase())).toString();
          return Boolean(lunr.stopWordFilter(new lunr.Token(trimmed)));  // (a stop word would require nothing)
        });
        if (required.length > 1) out.push(required.map(function (w) { return "+" + w; }).join(" "));
      }
      out.push(words.join(" "));
      return out;
    },

    // The first query of `queries` with results (the last one's, possibly empty, otherwise).
    run: function (index, queries) {
      var results = [];
      for (var i = 0; i < queries.length; i++) {
        results = index.search(queries[i]);
        if (results.length) break;
      }
      return results;
    },

    // The shard whose range holds `term` (bounds: each shard's first term, in JS string order).
    shardOf: function (bounds, term) {
      var lo = 0, hi = bounds.length - 1;
      while (lo < hi) {
        var mid = (lo + hi + 1) >> 1;
        if (bounds[mid] <= term) lo = mid; else hi = mid - 1;
      }
      return lo;
    },

    // Every shard that may hold a term starting with `prefix`: a run, as terms are sorted.
    shardsWithPrefix: function (bounds, prefix) {
      if (!bounds.length) return [];
      var first = core.shardOf(bounds, prefix), out = [first];
      for (var i = first + 1; i < bounds.length && bounds[i].slice(0, prefix.length) === prefix; i++) out.push(i);
      return out;
    },

    // What the index must hold to answer `queries` as the whole index would: {shards: [ids, ascending],
    // negated: whether a query has only -terms (lunr then scores every document), clauses: each query
    // term after the pipeline, as lunr.TokenSet.fromClause takes it}.
    // Parses with lunr's own parser and runs terms through the index's search pipeline,
    // exactly as lunr.Index.query will; throws lunr.QueryParseError like index.search.
    plan: function (lunr, manifest, pipeline, queries) {
      var bounds = manifest.shards, wanted = Object.create(null), negated = false, clauses = [];
      queries.forEach(function (text) {
        var query = new lunr.Query(manifest.fields);
        new lunr.QueryParser(text, query).parse();
        if (query.isNegated()) negated = true;
        query.clauses.forEach(function (clause) {
          var terms = clause.usePipeline ? pipeline.runString(clause.term, { fields: clause.fields }) : [clause.term];
          terms.forEach(function (term) {
            clauses.push(Object.assign({}, clause, { term: term }));
            var star = term.indexOf("*");
            var ids = clause.editDistance ? core.shardsWithPrefix(bounds, "")
              : star >= 0 ? core.shardsWithPrefix(bounds, term.slice(0, star))
              : bounds.length ? [core.shardOf(bounds, term)] : [];
            ids.forEach(function (id) { wanted[id] = true; });
          });
        });
      });
      var shards = Object.keys(wanted).map(Number).sort(function (a, b) { return a - b; });
      return { shards: shards, negated: negated, clauses: clauses };
    },

    // A lunr.Index answering the queries of `plan` from `shards` (parsed shard files, in ascending
    // shard order) as the whole index would. Its token set holds every term of the shards, so a
    // query's terms expand (wildcards, fuzzy) exactly as in the whole index; postings and field vectors
    // are made only for the terms they expand to: a score is the query vector's dot product with a
    // document's vector, so the other terms' components never count (and were most of the work).
    // With `plan.negated`, it also lists every document's field vectors in the whole index's order,
    // as a query of only -terms returns every other document in that order.
    assemble: function (lunr, manifest, pipeline, shards, plan) {
      var fields = manifest.fields, invertedIndex = Object.create(null), fieldVectors = {};
      var pairs = Object.create(null), builder = new lunr.TokenSet.Builder();
      shards.forEach(function (entries) {
        entries.forEach(function (entry) { builder.insert(entry[0]); });
      });
      builder.finish();
      var tokenSet = builder.root, used = Object.create(null);
      plan.clauses.forEach(function (clause) {
        tokenSet.intersect(lunr.TokenSet.fromClause(clause)).toArray().forEach(function (t) { used[t] = true; });
      });
      if (plan.negated) {
        for (var doc = 0; doc < manifest.documents; doc++) {
          for (var f = 0; f < fields.length; f++) fieldVectors[fields[f] + "/" + doc] = null;
        }
      }
      shards.forEach(function (entries) {
        entries.forEach(function (entry) {
          var term = entry[0], termIndex = entry[1], posting = { _index: termIndex };
          if (!used[term]) return;
          for (var f = 0; f < fields.length; f++) {
            var flat = entry[f + 2], refs = {}, ref = 0;
            for (var k = 0; k < flat.length; k += 2) {
              ref += flat[k];
              refs[ref] = NO_METADATA;
              var key = fields[f] + "/" + ref;
              (pairs[key] || (pairs[key] = [])).push([termIndex, flat[k + 1] / 1000]);
            }
            posting[fields[f]] = refs;
          }
          invertedIndex[term] = posting;
        });
      });
      Object.keys(pairs).forEach(function (key) {
        var elements = [];
        pairs[key].sort(function (a, b) { return a[0] - b[0]; }).forEach(function (p) { elements.push(p[0], p[1]); });
        fieldVectors[key] = new lunr.Vector(elements);
      });
      Object.keys(fieldVectors).forEach(function (key) {
        if (fieldVectors[key] === null) fieldVectors[key] = new lunr.Vector([]);
      });
      return new lunr.Index({ invertedIndex: invertedIndex, fieldVectors: fieldVectors,
                              tokenSet: tokenSet, fields: fields, pipeline: pipeline });
    },

    // Where a result's document is: [chunk number, position in the chunk].
    docAt: function (manifest, ref) {
      var n = Number(ref);
      return [Math.floor(n / manifest.docsPerChunk), n % manifest.docsPerChunk];
    }
  };

  if (typeof module === "object" && module && module.exports) {
    module.exports = core;
    return;
  }

  var form = document.getElementById("search-form");
  var input = document.getElementById("search-input");
  var statusEl = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  if (!form || !input || !statusEl || !list) return;

  var base = document.documentElement.getAttribute("data-base") || "/";
  if (base.charAt(base.length - 1) !== "/") base += "/";

  var DEBOUNCE_MS = 200;
  var PAGE_SIZE = 10;  // one request per result's document chunk: a short first page shows soonest
  var SNIPPET_CHARS = 240;
  var HINT = "Search titles, authors, tags and abstracts. " +
    "Several words find papers with all of them; title:diffusion searches one field " +
    "(title, authors, tags, abstract); +music -noise requires or excludes a word; lott* matches word beginnings.";

  // manifest: loaded once; files: path -> promise of parsed JSON (every shard and chunk is fetched once);
  // assembled: the last index built, reused while queries need the same shards; shown: the query on screen.
  // generation: bumped when the preview announces a new index; work begun before it is dropped.
  var state = { manifest: null, pipeline: null, loading: null, files: Object.create(null),
                assembled: null, shown: null, more: null, generation: 0 };
  var timer = null;

  function setStatus(text) {
    statusEl.textContent = text;
  }

  function fetchJSON(path, options) {
    return fetch(base + path, options || { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error(path + ": HTTP " + response.status);
      return response.json();
    });
  }

  // The manifest is revalidated on every visit (it is small); shards carry its id in their URL,
  // so a browser cache never pairs a new manifest with an old build's shards.
  function loadManifest() {
    if (!state.loading) {
      var generation = state.generation;
      state.loading = typeof lunr === "undefined" ? Promise.reject(new Error("lunr.js did not load"))
        : fetchJSON("search/manifest.json", { credentials: "same-origin", cache: "no-cache" }).then(function (m) {
          if (generation !== state.generation) return;
          state.manifest = m;
          state.pipeline = lunr.Pipeline.load(m.pipeline);
        });
      state.loading.catch(function () { state.loading = null; });  // a later query tries again
    }
    return state.loading;
  }

  function file(path) {
    var key = path + "?v=" + state.manifest.id;
    if (!state.files[key]) {
      state.files[key] = fetchJSON(key);
      state.files[key].catch(function () { delete state.files[key]; });
    }
    return state.files[key];
  }

  function indexFor(plan) {
    // The assembled index answers only its plan's terms: reused for the same shards and terms.
    var key = plan.shards.join(",") + (plan.negated ? "|all" : "") + "|" + plan.clauses.map(function (c) {
      return c.term + "~" + (c.editDistance || 0);
    }).join("\u0000");
    if (state.assembled && state.assembled.key === key) return Promise.resolve(state.assembled.index);
    return Promise.all(plan.shards.map(function (id) { return file("search/terms/" + id + ".json"); }))
      .then(function (shards) {
        var index = core.assemble(lunr, state.manifest, state.pipeline, shards, plan);
        state.assembled = { key: key, index: index };
        return index;
      });
  }

  function docsFor(results) {
    return Promise.all(results.map(function (result) {
      var at = core.docAt(state.manifest, result.ref);
      return file("search/docs/" + at[0] + ".json").then(function (chunk) { return chunk[at[1]]; });
    }));
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
    if (state.more) {
      state.more.parentNode.removeChild(state.more);
      state.more = null;
    }
  }

  function failed(err) {
    clearResults();
    setStatus("The search index could not be loaded (" + err.message + "). Reload the page to try again.");
  }

  function show(query) {
    var shown = query.trim();
    state.shown = shown;
    if (!shown) {
      clearResults();
      setStatus(HINT);
      return;
    }
    var generation = state.generation;
    function current() { return state.shown === shown && state.generation === generation; }
    if (!state.manifest) setStatus("Loading…");
    loadManifest().then(function () {
      if (!current()) return null;
      var queries = core.queries(lunr, shown), plan;
      try {
        plan = core.plan(lunr, state.manifest, state.pipeline, queries);
      } catch (err) {
        if (err instanceof lunr.QueryParseError || (err && err.name === "QueryParseError")) {
          clearResults();
          setStatus("Could not read the query “" + shown + "”: " + err.message + ". " + HINT);
          return null;
        }
        throw err;
      }
      return indexFor(plan).then(function (index) {
        if (!current()) return null;
        var results = core.run(index, queries);
        if (!results.length) {
          clearResults();
          setStatus("No results for “" + shown + "”.");
          return null;
        }
        return showPage(shown, results, 0);
      });
    }).catch(function (err) { if (current()) failed(err); });
  }

  // Shows results[from, from + PAGE_SIZE) once their documents are in; a button offers the next page.
  function showPage(shown, results, from) {
    var page = results.slice(from, from + PAGE_SIZE), generation = state.generation;
    return docsFor(page).then(function (docs) {
      if (state.shown !== shown || state.generation !== generation) return;
      if (from === 0) {
        clearResults();
        var count = results.length;
        setStatus(count + (count === 1 ? " result" : " results") + " for “" + shown + "”.");
      } else if (state.more) {
        state.more.parentNode.removeChild(state.more);
        state.more = null;
      }
      var fragment = document.createDocumentFragment();
      page.forEach(function (result, i) {
        if (docs[i]) fragment.appendChild(renderResult(docs[i], matchedTerms(result)));
      });
      list.appendChild(fragment);
      var next = from + PAGE_SIZE;
      if (next < results.length) {
        var more = document.createElement("button");
        more.type = "button";
        more.id = "search-more";
        more.textContent = "Show more results (" + (results.length - next) + " left)";
        more.addEventListener("click", function () {
          more.disabled = true;
          showPage(shown, results, next).catch(function (err) {
            if (state.shown === shown && state.generation === generation) failed(err);
          });
        });
        list.parentNode.insertBefore(more, list.nextSibling);
        state.more = more;
      }
    });
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

  // The live preview (`papershelf serve`) announces a search index rebuilt after the pages it
  // has already shown: drop everything loaded from the old one and run the query on screen again.
  // A published site never sends this event.
  window.addEventListener("papershelf:search-index", function () {
    state.generation += 1;
    state.manifest = null;
    state.pipeline = null;
    state.loading = null;
    state.files = Object.create(null);
    state.assembled = null;
    if (state.shown) show(state.shown);
  });

  var initial = readQuery();
  if (initial) input.value = initial;
  show(input.value);
})();
