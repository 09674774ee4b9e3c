/* papershelf browse view: narrows the list by tag, year, reading status, rating, code and a search query.
 *
 * Data (generator/exports.py, browse_files): browse/facets.json, every paper's facet values in columns
 * (a paper's ref is its position, as in the search index), fetched once; browse/items/<n>.json, what a
 * card shows for refs n * perChunk onwards, fetched for the shown page only; browse/tags.json, the tags
 * past the facet file's most used (fetched when the address names one, or the reader lists or looks for
 * every tag), and browse/title-order.json (fetched when the list is sorted by title, or when the browser
 * is idle). The query part is the search page's own code (search.js: window.papershelfSearch), loaded
 * when a query is first asked.
 *
 * Everything the reader chose is in the address (?q=&tag=&match=all&from=&to=&status=&rating=&code=1
 * &sort=&page=): a facet click adds a history entry, so back and forward step through them.
 *
 * Each facet value shows how many papers the list would hold with it chosen (core.compute): a value of
 * a facet chosen by "any of" (tags by default, statuses) counts the papers that pass every other facet
 * and have that value; a tag under "all of" counts the listed papers that have it; a year counts the
 * range it would make; a rating the papers rated at least that.
 *
 * Cards are made by card.js (window.papershelfCard, the theme's shared card, loaded before this script)
 * with createElement/textContent only: titles, tags and abstracts come from many hands.
 * The pure part (`core`) is exported under Node.
 */
(function () {
  "use strict";

  var STATUSES = ["none", "to-read", "reading", "read"];   // the facet file's status digit is the position
  var STATUS_LABELS = { "none": "No status", "to-read": "To read", "reading": "Reading", "read": "Read" };
  var SORTS = ["relevance", "date", "rating", "upvotes", "title"];
  var MS_PER_DAY = 86400000;
  // Failing-facet bits (core.compute).
  var TAG = 1, YEAR = 2, STATUS = 4, RATING = 8, CODE = 16, QUERY = 32;

  var core = {
    // The parsed facet file as typed columns: {count, perChunk, id, tags: [[name, slug]] (the most used;
    // every tag once core.addTags has run), tagCount, slugIndex, paperTags: [[tag index]], day (days since
    // 1970, NaN undated), year (0: unknown), status, rating, code, upvotes, titleRank (position in title
    // order, once core.addTitles has run; null before), years (every year present, newest first), head
    // (the cards of chunks 0, 1, ...: the unfiltered first page's, carried by the facet file), firstTags,
    // firstSorts, firstCount (the first page files: core.firstKeys)}.
    decode: function (data) {
      var n = data.count, day = new Float64Array(n), year = new Int32Array(n);
      var status = new Uint8Array(n), rating = new Uint8Array(n), code = new Uint8Array(n);
      var previous = 0, seen = Object.create(null), years = [];
      for (var i = 0; i < n; i++) {
        var delta = data.day[i];
        if (delta === null) {
          day[i] = NaN;
          year[i] = data.year[String(i)] || 0;
        } else {
          previous += delta;
          day[i] = previous;
          year[i] = core.yearOf(previous);
        }
        if (year[i] && !seen[year[i]]) { seen[year[i]] = true; years.push(year[i]); }
        status[i] = data.status.charCodeAt(i) - 48;
        rating[i] = data.rating.charCodeAt(i) - 48;
        code[i] = data.code.charCodeAt(i) - 48;
      }
      var slugIndex = Object.create(null);
      data.tags.forEach(function (tag, k) { slugIndex[tag[1]] = k; });
      years.sort(function (a, b) { return b - a; });
      return { count: n, perChunk: data.perChunk, id: data.id, tags: data.tags.slice(), tagCount: data.tagCount,
               slugIndex: slugIndex, paperTags: data.paperTags, day: day, year: year, status: status,
               rating: rating, code: code, upvotes: data.upvotes, titleRank: null, years: years,
               head: data.head || [], firstTags: data.tags.length, firstSorts: (data.first && data.first.sorts) || [],
               firstCount: (data.first && data.first.count) || 0 };
    },

    // Whether every tag is known (the facet file held them all, or core.addTags has run).
    allTags: function (f) {
      return f.tags.length >= f.tagCount;
    },

    // Adds the parsed browse/tags.json (the tags past the facet file's, each with its refs delta-coded).
    addTags: function (f, data) {
      if (core.allTags(f)) return f;
      data.tags.forEach(function (tag, j) {
        var k = f.tags.length, ref = 0;
        f.tags.push(tag);
        f.slugIndex[tag[1]] = k;
        data.papers[j].forEach(function (delta) { ref += delta; f.paperTags[ref].push(k); });
      });
      return f;
    },

    // Adds the parsed browse/title-order.json (the refs in title order).
    addTitles: function (f, order) {
      var rank = new Int32Array(f.count);
      for (var r = 0; r < order.length; r++) rank[order[r]] = r;
      f.titleRank = rank;
      return f;
    },

    // What `state` needs beyond the facet file: {tags: a tag it names is not among those known,
    // titles: it sorts by title and the title order is not in}.
    needs: function (f, state) {
      return {
        tags: !core.allTags(f) && state.tags.some(function (slug) { return f.slugIndex[slug] === undefined; }),
        titles: state.sort === "title" && !f.titleRank
      };
    },

    // The state an address holds (`search`: location.search). Values that mean nothing are dropped.
    read: function (search) {
      var params = new URLSearchParams(search);
      var number = function (name, low, high) {
        var v = params.get(name);
        if (v === null || !/^\d{1,6}$/.test(v)) return 0;
        var n = parseInt(v, 10);
        return n >= low && n <= high ? n : 0;
      };
      var unique = function (list) {
        return list.filter(function (v, i) { return v && list.indexOf(v) === i; });
      };
      var sort = params.get("sort");
      return {
        q: (params.get("q") || "").trim(),
        tags: unique(params.getAll("tag")),
        all: params.get("match") === "all",
        from: number("from", 1, 9999),
        to: number("to", 1, 9999),
        statuses: unique(params.getAll("status").filter(function (s) { return STATUSES.indexOf(s) >= 0; })),
        rating: number("rating", 1, 5),
        code: params.get("code") === "1",
        sort: SORTS.indexOf(sort) >= 0 ? sort : "",
        page: Math.max(1, number("page", 1, 999999))
      };
    },

    // The address's query string for `state` ("" or "?..."), in one fixed order, defaults left out.
    write: function (state) {
      var params = new URLSearchParams();
      if (state.q) params.set("q", state.q);
      state.tags.forEach(function (slug) { params.append("tag", slug); });
      if (state.all) params.set("match", "all");
      if (state.from) params.set("from", String(state.from));
      if (state.to) params.set("to", String(state.to));
      state.statuses.forEach(function (s) { params.append("status", s); });
      if (state.rating) params.set("rating", String(state.rating));
      if (state.code) params.set("code", "1");
      if (state.sort) params.set("sort", state.sort);
      if (state.page > 1) params.set("page", String(state.page));
      var text = params.toString();
      return text ? "?" + text : "";
    },

    // The sort in effect: the one asked for, else relevance with a query and date without; relevance
    // means nothing without a query.
    sortOf: function (state, hits) {
      if (state.sort && (state.sort !== "relevance" || hits)) return state.sort;
      return hits ? "relevance" : "date";
    },

    // The listed refs, sorted, and every facet value's count. `hits`: null (no query) or the search's
    // results in rank order ([{ref}, ...]). Tags named in `state` that the site lacks are ignored.
    compute: function (f, state, hits) {
      var n = f.count, chosen = [], wanted = new Uint8Array(f.tags.length);
      state.tags.forEach(function (slug) {
        var k = f.slugIndex[slug];
        if (k !== undefined && !wanted[k]) { wanted[k] = 1; chosen.push(k); }
      });
      var statusWanted = new Uint8Array(STATUSES.length), anyStatus = state.statuses.length > 0;
      state.statuses.forEach(function (s) { statusWanted[STATUSES.indexOf(s)] = 1; });
      var from = state.from || 0, to = state.to || 0, ranged = from > 0 || to > 0;
      var hitRank = null;
      if (hits) {
        hitRank = new Int32Array(n).fill(-1);
        hits.forEach(function (hit, i) { var ref = Number(hit.ref); if (ref >= 0 && ref < n) hitRank[ref] = i; });
      }
      var counts = {
        tags: new Int32Array(f.tags.length), statuses: new Int32Array(STATUSES.length),
        ratings: new Int32Array(6), code: 0, years: Object.create(null), undated: 0, ratingAny: 0, yearAny: 0
      };
      var results = [];
      for (var i = 0; i < n; i++) {
        var mask = 0, tags = f.paperTags[i], y = f.year[i];
        if (chosen.length) {
          var held = 0;
          for (var t = 0; t < tags.length; t++) if (wanted[tags[t]]) held++;
          if (state.all ? held < chosen.length : held === 0) mask |= TAG;
        }
        if (ranged && (!y || (from && y < from) || (to && y > to))) mask |= YEAR;
        if (anyStatus && !statusWanted[f.status[i]]) mask |= STATUS;
        if (state.rating && f.rating[i] < state.rating) mask |= RATING;
        if (state.code && !f.code[i]) mask |= CODE;
        if (hitRank && hitRank[i] < 0) mask |= QUERY;
        if (mask === 0) results.push(i);
        // Counts: a paper counts for a facet's values when it passes every other facet.
        if ((mask & ~TAG) === 0 && (state.all ? mask === 0 : true)) {
          for (var k = 0; k < tags.length; k++) counts.tags[tags[k]]++;
        }
        if ((mask & ~YEAR) === 0) {
          counts.yearAny++;
          if (y) counts.years[y] = (counts.years[y] || 0) + 1; else counts.undated++;
        }
        if ((mask & ~STATUS) === 0) counts.statuses[f.status[i]]++;
        if ((mask & ~RATING) === 0) { counts.ratings[f.rating[i]]++; counts.ratingAny++; }
        if ((mask & ~CODE) === 0 && f.code[i]) counts.code++;
      }
      // "at least N": the papers rated N or more
      for (var r = 4; r >= 1; r--) counts.ratings[r] += counts.ratings[r + 1];
      var sort = core.sortOf(state, hits);
      core.sort(f, results, sort, hitRank);
      return { results: results, counts: counts, sort: sort, chosen: chosen };
    },

    // What a year option would leave: "from" y keeps [y, to], "to" y keeps [from, y] (counts.years:
    // papers passing every other facet, by year). The "Any" option: y 0.
    yearCount: function (counts, which, y, state) {
      var low = which === "from" ? y : state.from, high = which === "to" ? y : state.to;
      if (!low && !high) return counts.yearAny;
      var total = 0;
      for (var key in counts.years) {
        var year = Number(key);
        if ((!low || year >= low) && (!high || year <= high)) total += counts.years[key];
      }
      return total;
    },

    // Sorts refs in place. Refs are in site order (newest first, undated last), which breaks every tie.
    sort: function (f, refs, sort, hitRank) {
      return refs.sort(core.order(f, sort, hitRank));
    },

    // The comparison of two refs that `sort` orders by.
    order: function (f, sort, hitRank) {
      if (sort === "relevance" && hitRank) return function (a, b) { return hitRank[a] - hitRank[b]; };
      if (sort === "rating") return function (a, b) { return f.rating[b] - f.rating[a] || a - b; };
      if (sort === "upvotes") return function (a, b) { return f.upvotes[b] - f.upvotes[a] || a - b; };
      if (sort === "title") return function (a, b) { return f.titleRank[a] - f.titleRank[b]; };
      return function (a, b) { return a - b; };
    },

    // The ref that comes first of `refs` in the order of `sort` (-1 for none), without sorting them all.
    firstBy: function (f, refs, sort) {
      var before = core.order(f, sort, null), best = -1;
      for (var i = 0; i < refs.length; i++) if (best < 0 || before(refs[i], best) < 0) best = refs[i];
      return best;
    },

    // The facet values whose first page file (browse/first/<key>-<sort>.json: the first firstCount papers
    // having that value, in a sort of firstSorts) holds the first cards of `state`'s list: values every
    // listed paper has. A tag of the facet file chosen alone or under "all of", one reading status, a
    // rating, code.
    firstKeys: function (f, state) {
      var keys = [];
      if (state.all || state.tags.length === 1) {
        state.tags.forEach(function (slug) {
          var k = f.slugIndex[slug];
          if (k !== undefined && k < f.firstTags) keys.push("t" + k);
        });
      }
      if (state.statuses.length === 1) keys.push("s" + STATUSES.indexOf(state.statuses[0]));
      if (state.rating) keys.push("r" + state.rating);
      if (state.code) keys.push("c");
      return keys;
    },

    // The refs of the first page file of `key` in `sort`: the first firstCount papers having that value,
    // so sorted (picked in one pass, without sorting them all).
    firstPage: function (f, key, sort) {
      var kind = key.charAt(0), value = Number(key.slice(1)), top = [], size = f.firstCount;
      var before = core.order(f, sort, null);
      for (var i = 0; i < f.count; i++) {
        var has = kind === "t" ? f.paperTags[i].indexOf(value) >= 0 : kind === "s" ? f.status[i] === value
          : kind === "r" ? f.rating[i] >= value : f.code[i] === 1;
        if (!has || (top.length === size && before(i, top[size - 1]) >= 0)) continue;
        var at = top.length;
        while (at > 0 && before(i, top[at - 1]) < 0) at--;
        top.splice(at, 0, i);
        if (top.length > size) top.pop();
        if (sort === "date" && top.length === size) break;   // (site order: the rest come after)
      }
      return top;
    },

    // Of the first page files of `keys` in `sort`, the one that spares the most chunk files when the
    // cards of `refs` (in no chunk asked for yet) are fetched: {key, refs: those it holds}, or null when
    // none spares three (a file weighs about two chunks; the build makes none for a value of fewer papers).
    firstFile: function (f, keys, sort, refs) {
      var chunks = function (list) {
        var seen = Object.create(null), n = 0;
        list.forEach(function (ref) { var c = Math.floor(ref / f.perChunk); if (!seen[c]) { seen[c] = true; n++; } });
        return n;
      };
      var best = null, spared = 2, all = chunks(refs);
      if (f.firstSorts.indexOf(sort) < 0 || !f.firstCount || (sort === "title" && !f.titleRank)) return null;
      for (var k = 0; k < keys.length && spared < all; k++) {
        var top = Object.create(null);
        core.firstPage(f, keys[k], sort).forEach(function (ref) { top[ref] = true; });
        var held = refs.filter(function (ref) { return top[ref]; });
        var n = all - chunks(refs.filter(function (ref) { return !top[ref]; }));
        if (n > spared) { best = { key: keys[k], refs: held }; spared = n; }
      }
      return best;
    },

    // The year of a day number (days since 1970-01-01), in integers (H. Hinnant's civil_from_days).
    yearOf: function (day) {
      var z = day + 719468, era = Math.floor(z / 146097), doe = z - era * 146097;
      var yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
      var doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100)), mp = Math.floor((5 * doy + 2) / 153);
      return yoe + era * 400 + (mp >= 10 ? 1 : 0);
    },

    isoDate: function (day) {
      return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
    }
  };

  if (typeof module === "object" && module && module.exports) {
    module.exports = core;
    return;
  }

  var base = document.documentElement.getAttribute("data-base") || "/";
  if (base.charAt(base.length - 1) !== "/") base += "/";
  // The script runs (async) as soon as it is in, often before the page is parsed and the scripts before
  // it have run: it reads its settings from its own element, asks for the facet file (preloaded by the
  // page), the query's scripts and the address's first page of cards, and makes the view once the page
  // is parsed (card.js, deferred, has run by then).
  var script = document.currentScript || document.querySelector("script[data-browse]");
  var settings = {
    perPage: Math.max(1, parseInt(script && script.getAttribute("data-per-page"), 10) || 20),
    lunr: script && script.getAttribute("data-lunr"),
    searchJs: script && script.getAttribute("data-search-js")
  };
  var first = core.read(window.location.search);
  var early = fetchJSON("browse/facets.json", { credentials: "same-origin", cache: "no-cache" });
  var earlyTitles = first.sort === "title" ? fetchJSON("browse/title-order.json", { credentials: "same-origin", cache: "no-cache" }) : null;
  [early, earlyTitles].forEach(function (p) { if (p) p.catch(function () {}); });
  // facets: core.decode's, once loaded; chunks: chunk number -> promise of its cards, items: the cards
  // of those in; hits: the query's
  // results ({q, results, note}) once run; run: bumped by every change, so late answers are dropped.
  // cards: ref -> its card from a first page file; asked: ref -> promise of its card, for the refs a
  // first page file was asked for; firsts: file -> promise.
  var view = { facets: null, loading: null, chunks: Object.create(null), items: Object.create(null), hits: null, run: 0, state: null,
               cards: Object.create(null), asked: Object.create(null), firsts: Object.create(null),
               computed: null, allTags: false, searching: null, tagsLoading: null, titlesLoading: null };

  // The facet file is revalidated on every visit; chunks carry its id, so a browser cache never pairs
  // a new facet file with an old build's cards.
  function loadFacets() {
    if (!view.loading) {
      view.loading = (early || fetchJSON("browse/facets.json", { credentials: "same-origin", cache: "no-cache" }))
        .then(function (data) {
          view.facets = core.decode(data);
          view.facets.head.forEach(function (items, number) {   // the first chunks, in the facet file
            view.items[number] = items;
            view.chunks[number] = Promise.resolve(items);
          });
          return view.facets;
        });
      early = null;
      view.loading.catch(function () { view.loading = null; });
    }
    return view.loading;
  }

  // The facet file's other parts, each fetched once when first needed (core.needs): a promise of the facets.
  function loadTags() {
    if (!view.tagsLoading) {
      var f = view.facets;
      view.tagsLoading = core.allTags(f) ? Promise.resolve(f)
        : fetchJSON("browse/tags.json?v=" + f.id).then(function (data) { return core.addTags(f, data); });
      view.tagsLoading.catch(function () { view.tagsLoading = null; });
    }
    return view.tagsLoading;
  }

  // (`earlyTitles`: asked for with the facet file when the address sorts by title, revalidated like it;
  // used if it is the facet file's build, else asked for again by the build's id.)
  function loadTitles(later) {
    if (!view.titlesLoading) {
      var f = view.facets, again = function () {
        return fetchJSON("browse/title-order.json?v=" + f.id, { credentials: "same-origin", priority: later ? "low" : "auto" });
      };
      view.titlesLoading = (earlyTitles || again()).then(function (data) { return data.id === f.id ? data : again(); })
        .then(function (data) { return core.addTitles(f, data.order); });
      earlyTitles = null;
      view.titlesLoading.catch(function () { view.titlesLoading = null; });
    }
    return view.titlesLoading;
  }

  // A promise of the facets once they hold what `state` needs.
  function facetsFor(state) {
    return loadFacets().then(function (f) {
      var needs = core.needs(f, state);
      return Promise.all([needs.tags ? loadTags() : null, needs.titles ? loadTitles() : null])
        .then(function () { return f; });
    });
  }

  // `later`: a guess (the next page's), asked for at low priority so the chunks the reader waits for go first.
  function chunk(number, later) {
    if (!view.chunks[number]) {
      view.chunks[number] = fetchJSON("browse/items/" + number + ".json?v=" + view.facets.id,
                                      { credentials: "same-origin", priority: later ? "low" : "auto" })
        .then(function (items) { view.items[number] = items; return items; });
      view.chunks[number].catch(function () { delete view.chunks[number]; });
    }
    return view.chunks[number];
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.async = false;
      script.onload = resolve;
      script.onerror = function () { reject(new Error(src + " did not load")); };
      document.head.appendChild(script);
    });
  }

  // search.js (with lunr.js), loaded once, when a query is first asked.
  function loadSearch() {
    if (window.papershelfSearch) return Promise.resolve(window.papershelfSearch);
    if (!view.searching) {
      // lunr.js and search.js download side by side and run in that order (async = false); the
      // index's manifest, which search.js asks for first, is preloaded meanwhile.
      if (!window.papershelfSearchStart) {   // (else the page's first script asked for it: browse-start.js)
        var preload = document.createElement("link");
        preload.rel = "preload";
        preload.as = "fetch";
        preload.crossOrigin = "anonymous";
        preload.href = base + "search/manifest.json";
        document.head.appendChild(preload);
      }
      view.searching = Promise.all([typeof lunr === "undefined" ? loadScript(settings.lunr) : null,
                                    loadScript(settings.searchJs)])
        .then(function () {
          if (!window.papershelfSearch) throw new Error("search.js did not load");
          return window.papershelfSearch;
        });
      view.searching.catch(function () { view.searching = null; });
    }
    return view.searching;
  }

  // The query's hits: a promise of {q, results (null: no query), note}.
  function hitsFor(q) {
    if (!q || !settings.searchJs) return Promise.resolve({ q: q, results: null, note: "" });
    if (view.hits && view.hits.q === q) return Promise.resolve(view.hits);
    return loadSearch().then(function (search) {
      return search.find(q).then(function (found) {
        if (!found.queries.length) return { q: q, results: null, note: " No words to search in “" + q + "”." };
        return { q: q, results: found.results, note: search.describe(found.notes) };
      });
    });
  }

  // The first state's list: the facets it needs and its query's hits loaded, its page's chunks asked for.
  var firstLoad = listed(first, true);
  firstLoad.catch(function () {});
  // The view is made once the page is parsed and its deferred scripts (card.js) have run: at
  // DOMContentLoaded, unless that has come already (the document is "interactive" while they run).
  var navigation = window.performance && performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
  if (document.readyState === "loading" || (document.readyState === "interactive" && (!navigation || !navigation.domContentLoadedEventStart))) {
    document.addEventListener("DOMContentLoaded", start);
  } else start();

  // A promise of {f: the facets, hits: the query's ({q, results, note}, or {failed} when it could not be
  // run), computed: core.compute's for `state`}; `fetchPage`: ask for the chunks of the state's page.
  function listed(state, fetchPage) {
    return Promise.all([facetsFor(state), hitsFor(state.q).catch(function (err) {
      return { q: state.q, results: null, failed: err };
    })]).then(function (loaded) {
      var f = loaded[0], hits = loaded[1], computed = core.compute(f, state, hits.failed ? null : hits.results);
      if (fetchPage) askPage(pageOf(computed, state.page), state, computed.sort);
      return { f: f, hits: hits, computed: computed };
    });
  }

  // The refs of page `page` of a computed list (the last page when there are fewer).
  function pageOf(computed, page) {
    var pages = Math.max(1, Math.ceil(computed.results.length / settings.perPage));
    page = Math.min(page, pages);
    return computed.results.slice((page - 1) * settings.perPage, page * settings.perPage);
  }

  // The chunks of a page's cards, in the page's order: those of its first FIRST_CARDS cards (the top of
  // the list, on screen first) at the browser's usual priority, the rest at low priority, so that the
  // first ones do not queue behind the page's last (a page whose cards are scattered over the list asks
  // for up to one chunk per card).
  // A page whose cards would take many chunks and whose list is narrowed by a facet value takes
  // those of its cards that the value's first page file holds from that file (core.firstFile).
  var FIRST_CARDS = 4;
  function askPage(refs, state, sort) {
    askFirstFile(refs, state, sort);
    prefetch(refs.slice(0, FIRST_CARDS));
    prefetch(refs.slice(FIRST_CARDS), true);
  }

  function askFirstFile(refs, state, sort) {
    var f = view.facets, missing = refs.filter(function (ref) {
      return !view.asked[ref] && !view.chunks[Math.floor(ref / f.perChunk)];
    });
    var file = missing.length > 1 ? core.firstFile(f, core.firstKeys(f, state), sort, missing) : null;
    if (file) firstFile(file.key + "-" + sort, file.refs);
  }

  // Asks for a first page file for the cards of `refs`; a card it lacks (or all, if it fails) comes from its chunk.
  function firstFile(name, refs) {
    if (!view.firsts[name]) {
      view.firsts[name] = fetchJSON("browse/first/" + name + ".json?v=" + view.facets.id, { credentials: "same-origin" })
        .then(function (data) {
          data.refs.forEach(function (ref, i) { view.cards[ref] = data.items[i]; });
        });
      view.firsts[name].catch(function () { delete view.firsts[name]; });
    }
    var loaded = view.firsts[name];
    refs.forEach(function (ref) {
      if (view.asked[ref]) return;
      view.asked[ref] = loaded.then(function () {
        return itemOf(ref) || chunk(Math.floor(ref / view.facets.perChunk)).then(function () { return itemOf(ref); });
      }, function () {
        delete view.asked[ref];
        return chunk(Math.floor(ref / view.facets.perChunk)).then(function () { return itemOf(ref); });
      });
    });
  }

  // A card's item if it is in (from its chunk or a first page file), else undefined.
  function itemOf(ref) {
    var per = view.facets.perChunk, items = view.items[Math.floor(ref / per)];
    return items ? items[ref % per] : view.cards[ref];
  }

  // A promise of a card's item: from the first page file asked for it, else from its chunk.
  function cardOf(ref, later) {
    if (view.asked[ref]) return view.asked[ref];
    return chunk(Math.floor(ref / view.facets.perChunk), later).then(function () { return itemOf(ref); });
  }

  function prefetch(refs, later) {
    refs.forEach(function (ref) { if (!itemOf(ref)) cardOf(ref, later).catch(function () {}); });
  }

  function fetchJSON(path, options) {
    return fetch(base + path, options || { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error(path + ": HTTP " + response.status);
      return response.json();
    });
  }

  function start() {
    var root = document.getElementById("browse");
    if (!root) return;
    var perPage = settings.perPage, timer = null;
    var TAGS_SHOWN = 16;       // tags listed before "Show all tags"
    var TAGS_FOUND = 200;      // at most this many tags matching "Find a tag"
    var DEBOUNCE_MS = 250;

    var el = function (id) { return document.getElementById(id); };
    var form = el("browse-form"), queryInput = el("browse-q"), statusLine = el("browse-status");
    var tagList = el("browse-tags"), tagFind = el("browse-tag-find"), tagMore = el("browse-tags-more");
    var fromSelect = el("browse-from"), toSelect = el("browse-to"), statusList = el("browse-statuses");
    var ratingList = el("browse-ratings"), codeBox = el("browse-code"), sortSelect = el("browse-sort");
    var list = el("browse-results"), heading = el("browse-results-h"), pager = el("browse-pages");
    var prevButton = el("browse-prev"), nextButton = el("browse-next"), pageCount = el("browse-page-count");

    function stateFromControls() {
      var state = Object.assign({}, view.state);
      state.q = queryInput ? queryInput.value.trim() : "";
      state.all = form.querySelector("input[name=match]:checked").value === "all";
      state.tags = view.state.tags.slice();
      state.from = Number(fromSelect.value) || 0;
      state.to = Number(toSelect.value) || 0;
      state.statuses = Array.prototype.map.call(statusList.querySelectorAll("input:checked"),
                                                function (box) { return box.value; });
      var rating = ratingList.querySelector("input:checked");
      state.rating = rating ? Number(rating.value) : 0;
      state.code = codeBox.checked;
      // (the sort that goes without saying is left out of the address)
      state.sort = sortSelect.value === (state.q && queryInput ? "relevance" : "date") ? "" : sortSelect.value;
      return state;
    }

    function here() {
      return window.location.pathname + core.write(view.state) + window.location.hash;
    }

    // A facet click: a new history entry. Typing a query replaces the current one.
    function change(state, how) {
      view.state = state;
      var url = here();
      if (url !== window.location.pathname + window.location.search + window.location.hash) {
        if (how === "push") window.history.pushState(null, "", url);
        else window.history.replaceState(null, "", url);
      }
      return refresh(false);
    }

    function option(select, value, text) {
      var o = document.createElement("option");
      o.value = value;
      o.textContent = text;
      select.appendChild(o);
      return o;
    }

    function labelled(type, name, value, text) {
      var li = document.createElement("li"), label = document.createElement("label");
      var input = document.createElement("input"), count = document.createElement("span");
      input.type = type;
      input.name = name;
      input.value = value;
      count.className = "n";
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + text + " "));
      label.appendChild(count);
      li.appendChild(label);
      return li;
    }

    // The controls that depend on the data, made once the facet file is in.
    function buildControls(f) {
      f.years.forEach(function (y) {
        option(fromSelect, String(y), String(y));
        option(toSelect, String(y), String(y));
      });
      var hasStatus = false, hasRating = false, hasCode = false;
      for (var i = 0; i < f.count; i++) {
        hasStatus = hasStatus || f.status[i] > 0;
        hasRating = hasRating || f.rating[i] > 0;
        hasCode = hasCode || f.code[i] > 0;
      }
      // A facet no paper has a value of would only ever say 0: shown when the address asks for it anyway.
      el("facet-status").hidden = !hasStatus && !view.state.statuses.length;
      el("facet-rating").hidden = !hasRating && !view.state.rating;
      el("facet-code").hidden = !hasCode && !view.state.code;
      el("facet-years").hidden = !f.years.length && !view.state.from && !view.state.to;
      ["to-read", "reading", "read", "none"].forEach(function (s) {
        statusList.appendChild(labelled("checkbox", "status", s, STATUS_LABELS[s]));
      });
      ratingList.appendChild(labelled("radio", "rating", "0", "Any"));
      for (var r = 1; r <= 5; r++) {
        var item = labelled("radio", "rating", String(r), r === 5 ? "5 stars" : "At least " + r + (r === 1 ? " star" : " stars"));
        var stars = document.createElement("span");
        stars.className = "stars";
        stars.setAttribute("aria-hidden", "true");
        stars.textContent = " " + "★".repeat(r);
        item.firstChild.insertBefore(stars, item.firstChild.lastChild);
        ratingList.appendChild(item);
      }
      tagFind.hidden = f.tagCount <= TAGS_SHOWN;
    }

    // The tag checkboxes listed: the chosen ones, then the most used (all with "Show all tags"), or those
    // matching "Find a tag". Made again only when that list changes, so focus stays where it is.
    function listTags() {
      var f = view.facets, wanted = tagFind.hidden ? "" : tagFind.value.trim().toLowerCase();
      if ((wanted || view.allTags) && !core.allTags(f)) {   // every tag is needed: listed once they are in
        var run = view.run;
        loadTags().then(function () {
          if (run !== view.run || !view.computed) return;
          var hits = view.hits && view.hits.q === view.state.q ? view.hits.results : null;
          view.computed = core.compute(f, view.state, hits);   // the same list, with every tag's count
          showControls(view.computed);
        }, function () {});
      }
      var shown = [], inList = Object.create(null);
      view.state.tags.forEach(function (slug) {
        var k = f.slugIndex[slug];
        if (k !== undefined && !inList[k]) { inList[k] = true; shown.push(k); }
      });
      var limit = wanted ? TAGS_FOUND : view.allTags ? f.tags.length : TAGS_SHOWN, listed = 0, more = 0;
      for (var k = 0; k < f.tags.length; k++) {
        if (inList[k] || (wanted && f.tags[k][0].toLowerCase().indexOf(wanted) < 0)) continue;
        if (listed >= limit) { more++; continue; }
        listed++;
        inList[k] = true;
        shown.push(k);
      }
      var key = shown.join(",");
      if (tagList.getAttribute("data-shown") !== key) {
        var focused = document.activeElement && tagList.contains(document.activeElement) ? document.activeElement.value : null;
        var fragment = document.createDocumentFragment();
        shown.forEach(function (k) {
          fragment.appendChild(labelled("checkbox", "tag", f.tags[k][1], f.tags[k][0]));
        });
        while (tagList.firstChild) tagList.removeChild(tagList.firstChild);
        tagList.appendChild(fragment);
        tagList.setAttribute("data-shown", key);
        if (focused !== null) {
          var again = tagList.querySelector("input[value=\"" + CSS.escape(focused) + "\"]");
          if (again) again.focus();
        }
      }
      tagMore.hidden = wanted !== "" || (!view.allTags && more === 0 && core.allTags(f)) || f.tagCount <= TAGS_SHOWN;
      tagMore.textContent = view.allTags ? "Show fewer tags" : "Show all " + f.tagCount + " tags";
      tagMore.setAttribute("aria-expanded", view.allTags ? "true" : "false");
    }

    function setCount(container, value, n) {
      var box = container.querySelector("input[value=\"" + CSS.escape(value) + "\"]");
      if (!box) return;
      var label = box.parentNode, span = label.querySelector(".n");
      if (span.textContent !== "(" + n + ")") span.textContent = "(" + n + ")";
      label.classList.toggle("none-left", n === 0 && !box.checked);
    }

    function yearOptions(select, which, counts, state) {
      Array.prototype.forEach.call(select.options, function (o) {
        var y = Number(o.value) || 0;
        var text = (y ? String(y) : "Any") + " (" + core.yearCount(counts, which, y, state) + ")";
        if (o.textContent !== text) o.textContent = text;
      });
    }

    // The controls as `view.state` says (after loading, or back/forward), with the counts of `computed`.
    function showControls(computed) {
      var f = view.facets, state = view.state, counts = computed.counts;
      if (queryInput && document.activeElement !== queryInput) queryInput.value = state.q;
      form.querySelector("input[name=match][value=" + (state.all ? "all" : "any") + "]").checked = true;
      listTags();
      Array.prototype.forEach.call(tagList.querySelectorAll("input"), function (box) {
        box.checked = state.tags.indexOf(box.value) >= 0;
        setCount(tagList, box.value, counts.tags[f.slugIndex[box.value]]);
      });
      [state.from, state.to].forEach(function (y) {   // a year the address asks for that no paper has
        if (y && !fromSelect.querySelector("option[value=\"" + y + "\"]")) {
          [fromSelect, toSelect].forEach(function (select) {
            var later = Array.prototype.filter.call(select.options, function (o) { return Number(o.value) && Number(o.value) < y; })[0];
            select.insertBefore(option(select, String(y), String(y)), later || null);
          });
        }
      });
      fromSelect.value = state.from ? String(state.from) : "";
      toSelect.value = state.to ? String(state.to) : "";
      yearOptions(fromSelect, "from", counts, state);
      yearOptions(toSelect, "to", counts, state);
      Array.prototype.forEach.call(statusList.querySelectorAll("input"), function (box) {
        box.checked = state.statuses.indexOf(box.value) >= 0;
        setCount(statusList, box.value, counts.statuses[STATUSES.indexOf(box.value)]);
      });
      Array.prototype.forEach.call(ratingList.querySelectorAll("input"), function (box) {
        var r = Number(box.value);
        box.checked = r === state.rating;
        setCount(ratingList, box.value, r ? counts.ratings[r] : counts.ratingAny);
      });
      codeBox.checked = state.code;
      setCount(codeBox.parentNode.parentNode, "1", counts.code);
      var relevance = sortSelect.querySelector("option[value=relevance]");
      if (relevance) relevance.disabled = !view.hits || !view.hits.results;
      sortSelect.value = computed.sort;
    }

    function summary(computed, pages, page) {
      var n = computed.results.length, total = view.facets.count, parts = [];
      var sortNames = { relevance: "relevance", date: "date, newest first", rating: "rating", upvotes: "upvotes", title: "title" };
      var text = n === total ? "All " + total + (total === 1 ? " paper" : " papers")
        : n + " of " + total + (total === 1 ? " paper" : " papers");
      if (view.state.q) parts.push("matching “" + view.state.q + "”");
      text += parts.length ? " " + parts.join(", ") : "";
      text += ", sorted by " + sortNames[computed.sort] + ".";
      if (pages > 1) text += " Page " + page + " of " + pages + ".";
      if (!n) text = "No paper matches these filters" + (view.state.q ? " and “" + view.state.q + "”" : "") +
        ". Remove a filter to see more.";
      return text + (view.hits && view.hits.note ? view.hits.note : "");
    }

    // Recomputes the list and counts from view.state and shows them. `focusList`: move focus to the
    // results (a page change); otherwise focus stays on the control the reader used.
    function refresh(focusList) {
      var run = ++view.run, state = view.state;
      lastAsked = null;
      if (!view.facets) statusLine.textContent = "Loading…";
      // (the address's state as the page opened: loaded, and its cards asked for, since the script ran)
      var loading = firstLoad && core.write(state) === core.write(first) ? firstLoad : listed(state, true);
      firstLoad = null;
      return loading.then(function (loaded) {
        if (run !== view.run) return null;
        var f = loaded.f, hits = loaded.hits, computed = loaded.computed;
        if (!hits.failed) view.hits = hits;
        if (!root.hasAttribute("data-ready")) {
          buildControls(f);
          root.setAttribute("data-ready", "");
          root.hidden = false;   // shown once its controls are made, so nothing on it shifts as they arrive
        }
        view.computed = computed;
        var pages = Math.max(1, Math.ceil(computed.results.length / perPage));
        var page = Math.min(state.page, pages);
        view.page = page;
        var refs = pageOf(computed, page);
        showControls(computed);
        root.setAttribute("data-counted", core.write(state));   // counts shown; the cards may still be loading
        pager.hidden = pages <= 1;
        prevButton.disabled = page <= 1;
        nextButton.disabled = page >= pages;
        pageCount.textContent = "Page " + page + " of " + pages;
        var said = summary(computed, pages, page);
        if (hits.failed) {
          said = "The search could not be run (" + (hits.failed.message || hits.failed) + "); the list is not " +
            "narrowed by “" + state.q + "”. " + said;
        }
        if (statusLine.textContent !== said) statusLine.textContent = said;
        offerExport(computed.results);
        if (focusList) heading.focus();
        return showPage(f, refs, run, core.write(state), state, computed.sort).then(function () {
          if (run !== view.run) return;
          list.removeAttribute("aria-busy");
          root.setAttribute("data-listed", core.write(state));
          root.setAttribute("data-shown", core.write(state));   // every card of the page (tests wait for this)
          prefetchLikely(computed, page);
          whenIdle(function () {
            if (run !== view.run) return;
            prefetchNext(computed, page);
            if (!f.titleRank) loadTitles(true).catch(function () {});   // so a sort by title needs no wait
          });
        });
      }).catch(function (err) {
        if (run !== view.run) return;
        root.hidden = false;
        statusLine.textContent = "The list could not be loaded (" + (err && err.message || err) +
          "). Reload the page to try again, or browse by tag or the archive.";
      });
    }

    // The whole result (every page of it) to cite, through cite.js (loaded with this page, deferred: this
    // script may show a list before cite.js has run; then the latest result is offered once the page has loaded).
    function offerExport(refs) {
      var box = el("browse-export");
      view.exportRefs = refs;
      if (!box) return;
      if (window.papershelfCite) window.papershelfCite.offer(box, refs, "browse");
      else if (!view.exportWaiting && document.readyState !== "complete") {
        view.exportWaiting = true;
        window.addEventListener("load", function () {
          if (window.papershelfCite) window.papershelfCite.offer(box, view.exportRefs, "browse");
        }, { once: true });
      }
    }

    // Shows the page `refs` at once: the cards that are in, a placeholder of a card's size for each of
    // the others, replaced as its chunk (or first page file) arrives (so the first cards are readable
    // before the page's last chunk, and nothing below them moves when it comes). `key`: the state, set on
    // #browse[data-listed] once the list's first card is shown. Resolves when every card is in.
    function showPage(f, refs, run, key, state, sort) {
      var slots = [], waiting = [], fragment = document.createDocumentFragment();
      askPage(refs, state, sort);
      refs.forEach(function (ref, i) {
        var item = itemOf(ref), li = item ? card(f, ref, item) : placeholder();
        if (!item) waiting.push(i);
        slots.push(li);
        if (li) fragment.appendChild(li);
      });
      while (list.firstChild) list.removeChild(list.firstChild);
      list.appendChild(fragment);
      if (waiting.length) list.setAttribute("aria-busy", "true");
      var first = function () {
        if (refs.length && slots[0] && !slots[0].hasAttribute("data-pending")) root.setAttribute("data-listed", key);
      };
      if (!refs.length) root.setAttribute("data-listed", key);
      first();
      return Promise.all(waiting.map(function (i) {   // (in the page's order, as askPage asked for them)
        return cardOf(refs[i]).then(function (item) {
          if (run !== view.run) return;
          var li = card(f, refs[i], item);
          if (li) list.replaceChild(li, slots[i]);
          else list.removeChild(slots[i]);
          slots[i] = li;
          first();
        });
      }));
    }

    // A card's place while its chunk is on the way: empty to assistive technology (the list is
    // aria-busy meanwhile), about a card's height on screen.
    function placeholder() {
      var li = document.createElement("li"), box = text("div", "paper-item paper-pending");
      li.setAttribute("data-pending", "");
      li.setAttribute("aria-hidden", "true");
      li.appendChild(box);
      return li;
    }

    // The cards the likeliest next steps show first, asked for as soon as the list is shown: the next
    // page's first and, for each other sort the list offers, the first of the list so sorted.
    function prefetchLikely(computed, page) {
      var f = view.facets, refs = computed.results.slice(page * perPage, page * perPage + 1);
      Array.prototype.forEach.call(sortSelect.options, function (o) {
        if (o.disabled || o.value === computed.sort || o.value === "relevance" || (o.value === "title" && !f.titleRank)) return;
        var ref = core.firstBy(f, computed.results, o.value);
        if (ref >= 0) refs.push(ref);
      });
      prefetch(refs);
    }

    // The chunks of the page after `page`, fetched when the browser is idle, so "Next" shows at once.
    function prefetchNext(computed, page) {
      prefetch(computed.results.slice(page * perPage, (page + 1) * perPage), true);
    }


    // The state a click on `target` would make (a facet's box or radio, Previous, Next), or null.
    function stateIf(target) {
      var now = view.state, state = Object.assign({}, now, { page: 1 });
      var toggled = function (list, value) {
        return list.indexOf(value) >= 0 ? list.filter(function (v) { return v !== value; }) : list.concat([value]);
      };
      if (target === nextButton || target === prevButton) {
        if (target.disabled) return null;
        state.page = (view.page || now.page) + (target === nextButton ? 1 : -1);
      } else if (target.name === "tag") state.tags = toggled(now.tags, target.value);
      else if (target.name === "status") state.statuses = toggled(now.statuses, target.value);
      else if (target.name === "match") state.all = target.value === "all";
      else if (target.name === "rating") state.rating = Number(target.value) || 0;
      else if (target.name === "code") state.code = !now.code;
      else return null;
      return state;
    }

    // The cards a control would show, fetched when the pointer rests on it or it gets focus, so that
    // its click finds them in. A select (the sort) fetches the first page of each of its sorts.
    var lastAsked = null;
    function prefetchFor(target) {
      if (!view.facets || !view.computed || !target || target === lastAsked) return;
      lastAsked = target;
      var states = [];
      if (target === sortSelect) {
        Array.prototype.forEach.call(sortSelect.options, function (o) {
          if (!o.disabled && o.value !== view.computed.sort) states.push(Object.assign({}, view.state, { sort: o.value, page: 1 }));
        });
      } else {
        var state = stateIf(target);
        if (state) states.push(state);
      }
      states.forEach(function (state) {
        var hits = view.hits && view.hits.q === state.q ? view.hits.results : null, needs = core.needs(view.facets, state);
        if (state.q && !hits) return;
        if (needs.titles) loadTitles().catch(function () {});
        if (needs.tags || needs.titles) return;
        var computed = core.compute(view.facets, state, hits);
        var refs = computed.results.slice((state.page - 1) * perPage, state.page * perPage);
        askFirstFile(refs, state, computed.sort);
        prefetch(refs);
      });
    }

    function whenIdle(callback) {
      if (window.requestIdleCallback) window.requestIdleCallback(callback, { timeout: 500 });
      else window.setTimeout(callback, 50);
    }

    function text(tag, className, content) {
      var node = document.createElement(tag);
      if (className) node.className = className;
      if (content !== undefined) node.textContent = content;
      return node;
    }

    // One paper as the list pages' cards show it (card.js, the theme's shared card), in a list item.
    function card(f, ref, item) {
      if (!item) return null;
      var day = f.day[ref], status = STATUSES[f.status[ref]], li = document.createElement("li");
      li.appendChild(window.papershelfCard({
        url: "papers/" + item[0] + "/", title: item[1], date: isNaN(day) ? "" : core.isoDate(day), authors: item[2],
        upvotes: f.upvotes[ref], status: status === "none" ? "" : status, read_on: item[6], rating: f.rating[ref], text: item[3],
        tags: item[5].map(function (t) { return typeof t === "number" ? f.tags[t] : t; }), code: item[4]
      }, { heading: "h3" }));
      return li;
    }

    // -- events ---------------------------------------------------------------------------------

    form.addEventListener("change", function (event) {
      var target = event.target;
      if (!view.facets || target === queryInput || target === tagFind) return;
      var state = stateFromControls();
      if (target.name === "tag") {
        state.tags = view.state.tags.filter(function (slug) { return slug !== target.value; });
        if (target.checked) state.tags.push(target.value);
      }
      state.page = 1;
      change(state, "push");
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      window.clearTimeout(timer);
      if (!view.facets) return;
      var state = stateFromControls();
      if (state.q !== view.state.q) { state.page = 1; change(state, "push"); }
    });

    if (queryInput) {
      queryInput.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () {
          if (!view.facets) return;
          var state = stateFromControls();
          if (state.q === view.state.q) return;
          state.page = 1;
          if (!state.q || !view.state.q) state.sort = "";   // relevance comes and goes with the query
          change(state, "replace");
        }, DEBOUNCE_MS);
      });
    }

    tagFind.addEventListener("input", function () {
      if (view.computed) showControls(view.computed);
    });
    tagMore.addEventListener("click", function () {
      view.allTags = !view.allTags;
      if (view.computed) showControls(view.computed);
    });

    el("browse-clear").addEventListener("click", function () {
      var cleared = core.read("");
      cleared.q = view.state.q;
      if (tagFind) tagFind.value = "";
      change(cleared, "push");
    });

    function turn(by) {
      var state = Object.assign({}, view.state, { page: Math.max(1, (view.page || view.state.page) + by) });
      view.state = state;
      window.history.pushState(null, "", here());
      refresh(true);
    }
    var near = function (event) {
      var label = event.target.closest ? event.target.closest("label") : null;
      var target = label && label.control ? label.control
        : event.target.closest ? event.target.closest("input, select, #browse-prev, #browse-next") : null;
      if (target && root.contains(target)) prefetchFor(target);
    };
    root.addEventListener("pointerover", near);
    root.addEventListener("focusin", near);
        prevButton.addEventListener("click", function () { turn(-1); });
    nextButton.addEventListener("click", function () { turn(1); });

    window.addEventListener("popstate", function () {
      view.state = core.read(window.location.search);
      refresh(false);
    });

    // The live preview (`papershelf serve`) says when a rebuild's files are all written (feeds, this
    // view's data and the search index come after the pages): load them again. Never on a published site.
    window.addEventListener("papershelf:search-index", function () {
      view.loading = null;
      view.facets = null;
      view.chunks = Object.create(null);
      view.items = Object.create(null);
      view.cards = Object.create(null);
      view.asked = Object.create(null);
      view.firsts = Object.create(null);
      view.hits = null;
      view.tagsLoading = null;
      view.titlesLoading = null;
      // (search.js, when loaded, drops its own files on the same event)
      root.removeAttribute("data-ready");
      [fromSelect, toSelect].forEach(function (select) { while (select.options.length > 1) select.remove(1); });
      while (statusList.firstChild) statusList.removeChild(statusList.firstChild);
      while (ratingList.firstChild) ratingList.removeChild(ratingList.firstChild);
      tagList.removeAttribute("data-shown");
      refresh(false);
    });

    view.state = core.read(window.location.search);
    if (queryInput) queryInput.value = view.state.q;
    refresh(false);
  }
})();
