/* papershelf search page: queries the prebuilt, split lunr index (search/manifest.json) with lunr.js.
 *
 * The index comes in term shards (generator/search/shards.py). A query fetches the
 * shards holding its terms and answers from them as lunr.Index#query would (assemble, query):
 * a lunr score only involves the query terms' weights, so the answer is that of the whole index. A wildcard or fuzzy word is expanded over the
 * words of the shards its prefix reaches or, when it needs the whole vocabulary (a
 * leading wildcard, fuzzy ~N, a prefix reaching many shards), over search/vocabulary.json
 * (every word and its number of postings); then only the shards of the words kept
 * are fetched. Result documents come in small chunks by ref; only the shown page's
 * chunks are fetched.
 *
 * The pure part (`core`) is exported under Node (tests/js/split_oracle.js tests it
 * against one lunr index); the page part runs in browsers only.
 *
 * DOM contract (templates/search.html): form#search-form, input#search-input,
 * p#search-status (aria-live), ol#search-results, and optionally p#search-options (hidden) holding
 * input#search-slash-key (the "/" shortcut on or off); <html data-base="/site/path/">. On any page it
 * also offers window.papershelfSearch (find, describe: see below), which the browse view uses.
 * Result cards are made by card.js (window.papershelfCard, loaded before this script) with
 * createElement/textContent only: titles and abstracts come from many hands and may contain markup,
 * which must stay text.
 */
(function () {
  "use strict";

  // lunr.js trims non-ASCII-word characters from both ends of every indexed word, so a query word
  // without a single [A-Za-z0-9_] cannot match anything meaningful, unless it is a wildcard.
  var WORD = /[A-Za-z0-9_*]/;
  // What one query may cost (docs/search.md, "Limits"). lunr.js builds a fuzzy term's automaton by
  // trying every edit: its size grows as (4 x length)^distance, so "representations~12" froze a tab
  // for minutes. A wildcard or fuzzy word can stand for thousands of words, each a posting list to
  // score; several wildcards in one word multiply lunr's paths through the vocabulary.
  var LIMITS = {
    editDistance: 2,   // ~3 and more are searched as ~2
    fuzzyLength: 30,   // longer words are searched with at most 1 edit
    stars: 2,          // a word with more "*" is left out
    expanding: 4,      // wildcard or fuzzy words after the 4th are left out
    expansion: 200,    // a wildcard or fuzzy word stands for at most this many words, the most frequent,
    postings: 40000,   // and all of them together for at most this many (paper, field) pairs
    words: 16          // words after the 16th are left out
  };
  // A prefix whose words span more shards than this is expanded over the vocabulary file (about as
  // many bytes as 10 shards gzipped at 10,000 papers) rather than over its shards.
  var PREFIX_SHARDS = 8;
  var VOCABULARY = "search/vocabulary.json";

  var core = {
    // The lunr queries to run, in order, for what the reader typed (read by core.read; `fields`: the
    // index's): a query of plain words ("video generation", a pasted title) first asks for papers with
    // every word and falls back to any word when none has them all; a query using lunr's syntax runs
    // as typed.
    queries: function (lunr, query, fields) {
      var clauses = core.read(query, fields);
      if (!clauses.length) return [];
      if (core.syntax(query, fields)) return [query];
      var required = clauses.filter(function (clause) {
        var trimmed = lunr.trimmer(new lunr.Token(clause.term)).toString();
        return Boolean(trimmed) && Boolean(lunr.stopWordFilter(new lunr.Token(trimmed)));  // (a stop word would require nothing)
      });
      var out = [];
      // (as typed: "+Title:Foo" reads as the word "title:foo" again, where "+title:foo" would be a field)
      if (required.length > 1) out.push(required.map(function (c) { return "+" + c.word; }).join(" "));
      out.push(query);
      return out;
    },

    // The first query of `queries` with results (the last one's, possibly empty, otherwise), each
    // parsed and limited as `plan` did (lunr's own `index.search` would not apply the limits).
    run: function (lunr, index, queries) {
      var results = [];
      for (var i = 0; i < queries.length; i++) {
        var empty = false;
        results = index.query(function (query) {
          core.parse(lunr, queries[i], query);
          empty = !query.clauses.length;   // every word left out: lunr would list every paper
        });
        if (empty) results = [];
        if (results.length) break;
      }
      return results;
    },

    // Reads `text` into `query` (a lunr.Query, core.read), then applies LIMITS to its clauses.
    // Returns what was limited (see `limit`).
    parse: function (lunr, text, query) {
      core.read(text, query.allFields).forEach(function (clause) { query.clause(clause); });
      return core.limit(query);
    },

    // The clauses (lunr.Query~Clause, before lunr.Query#clause fills in defaults) of what the reader
    // typed. lunr's syntax is kept where it means something, as lunr's QueryParser reads it:
    // `title:diffusion` (a field of `fields`), `+music -noise` (a "+" or "-" right before a word),
    // `lott*`, `nosie~1`, `agent^10`. Everything else is words, as the index reads its text (split at
    // whitespace and hyphens, then lunr's trimmer): an unknown field ("VLS: Steering ..." searches
    // "vls:"), a trailing colon, quotes, a lone "-" or "+", "~" or "^" without a number, stray
    // punctuation, "\". So a pasted title never fails to parse. A word is lowercased as lunr does;
    // presence and field go with the first part of a hyphenated word, "~N"/"^N" with the last (lunr's
    // reading). A word that is only punctuation is left out. Each clause's `word` is its text as typed.
    read: function (text, fields) {
      var clauses = [];
      text.split(/\s+/).forEach(function (chunk) {
        var presence = 0, field = null, edit = 0, boost = 0;
        var sign = chunk.charAt(0);
        if ((sign === "+" || sign === "-") && WORD.test(chunk.slice(1))) {
          presence = sign === "+" ? 2 : 3;   // lunr.Query.presence.REQUIRED, PROHIBITED
          chunk = chunk.slice(1);
        }
        var colon = chunk.indexOf(":");
        if (colon > 0 && fields.indexOf(chunk.slice(0, colon)) >= 0 && WORD.test(chunk.slice(colon + 1))) {
          field = chunk.slice(0, colon);
          chunk = chunk.slice(colon + 1);
        }
        var modifiers = /^(.*?)((?:[~^][0-9]+)+)$/.exec(chunk);
        if (modifiers && WORD.test(modifiers[1])) {
          modifiers[2].match(/[~^][0-9]+/g).forEach(function (m) {
            if (m.charAt(0) === "~") edit = parseInt(m.slice(1), 10); else boost = parseInt(m.slice(1), 10);
          });
          chunk = modifiers[1];
        }
        var parts = chunk.split(/-+/).filter(function (part) { return WORD.test(part); });
        parts.forEach(function (part, i) {
          var clause = { term: part.toLowerCase(), word: part };
          if (part.indexOf("*") >= 0) {
            // lunr runs no pipeline on a wildcard word, so its trimmer cannot drop the punctuation around it
            clause.term = clause.term.replace(/^[^A-Za-z0-9_*]+/, "").replace(/[^A-Za-z0-9_*]+$/, "");
            clause.usePipeline = false;
          }
          if (i === 0 && presence) clause.presence = presence;
          if (i === 0 && field) clause.fields = [field];
          if (i === parts.length - 1 && edit) clause.editDistance = edit;
          if (i === parts.length - 1 && boost) clause.boost = boost;
          clauses.push(clause);
        });
      });
      return clauses;
    },

    // Whether `text` uses lunr's syntax (core.read): a field, "+"/"-", "*", "~N" or "^N".
    syntax: function (text, fields) {
      return core.read(text, fields).some(function (c) {
        return c.presence || c.fields || c.editDistance || c.boost || c.usePipeline === false;
      });
    },

    // Applies LIMITS to a parsed query in place, before lunr builds any automaton from it; returns one
    // note per limit applied: {kind: "words"|"stars"|"distance", term, ...}. The clauses' terms are
    // as typed (lunr runs its pipeline on them later), so the limits depend on nothing but the text.
    limit: function (query) {
      var notes = [], kept = [], expanding = 0;
      query.clauses.forEach(function (clause, i) {
        if (i >= LIMITS.words) {
          if (i === LIMITS.words) notes.push({ kind: "words", count: query.clauses.length, used: LIMITS.words });
          return;
        }
        if (clause.term.split("*").length - 1 > LIMITS.stars) {
          notes.push({ kind: "stars", term: clause.term, used: LIMITS.stars });
          return;
        }
        if (core.expands(clause) && ++expanding > LIMITS.expanding) {
          notes.push({ kind: "expanding", term: clause.term, used: LIMITS.expanding });
          return;
        }
        var most = clause.term.length > LIMITS.fuzzyLength ? 1 : LIMITS.editDistance;
        if (clause.editDistance > most) {
          notes.push({ kind: "distance", term: clause.term, asked: clause.editDistance, used: most });
          clause.editDistance = most;
        }
        kept.push(clause);
      });
      query.clauses = kept;
      return notes;
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
    // term after the pipeline, as lunr.TokenSet.fromClause takes it, notes: the limits applied,
    // vocabulary: whether wildcard and fuzzy words are expanded over the vocabulary file: a fuzzy word,
    // a leading wildcard or a prefix reaching more than PREFIX_SHARDS shards needs it; `shards` then
    // says nothing, and `shardsOf` the expanded words tells which shards to fetch}.
    // Parses with lunr's own parser (and LIMITS) and runs terms through the index's search pipeline,
    // exactly as lunr.Index.query will.
    plan: function (lunr, manifest, pipeline, queries) {
      var bounds = manifest.shards, wanted = Object.create(null), negated = false, clauses = [], notes = [];
      var vocabulary = false;
      queries.forEach(function (text) {
        var query = new lunr.Query(manifest.fields);
        notes = notes.concat(core.parse(lunr, text, query));
        if (query.isNegated()) negated = true;
        query.clauses.forEach(function (clause) {
          var terms = clause.usePipeline ? pipeline.runString(clause.term, { fields: clause.fields }) : [clause.term];
          terms.forEach(function (term) {
            clauses.push(Object.assign({}, clause, { term: term }));
            var star = term.indexOf("*");
            var ids = clause.editDistance || star === 0 ? null
              : star > 0 ? core.shardsWithPrefix(bounds, term.slice(0, star))
              : bounds.length ? [core.shardOf(bounds, term)] : [];
            if (!ids || ids.length > PREFIX_SHARDS) vocabulary = true;
            else ids.forEach(function (id) { wanted[id] = true; });
          });
        });
      });
      var shards = vocabulary ? [] : Object.keys(wanted).map(Number).sort(function (a, b) { return a - b; });
      return { shards: shards, negated: negated, clauses: clauses, notes: notes, vocabulary: vocabulary };
    },

    // The shards (ids, ascending) holding `terms` ({term: true}).
    shardsOf: function (manifest, terms) {
      var ids = Object.create(null);
      Object.keys(terms).forEach(function (term) { ids[core.shardOf(manifest.shards, term)] = true; });
      return Object.keys(ids).map(Number).sort(function (a, b) { return a - b; });
    },

    // The words of parsed shard files (in ascending shard order) with their postings ((document, field)
    // pairs): what `expand` reads, as core.vocabulary gives it.
    words: function (shards) {
      var terms = [], counts = [];
      shards.forEach(function (list) {
        list.forEach(function (entry) {
          var n = 0;
          for (var f = 2; f < entry.length; f++) n += entry[f].length / 2;
          terms.push(entry[0]);
          counts.push(n);
        });
      });
      return core.wordList(terms, counts, null);
    },

    // The words of the parsed vocabulary file (generator/search/shards.py), every word of the index with
    // its postings, and their trie (core.lazyTrie): each line is chr(48 + k), k the UTF-16 code units
    // the word shares with the word before, then the rest of the word.
    vocabulary: function (lunr, data) {
      var n = data.postings.length, lines = n ? data.terms.split("\n") : [], terms = new Array(n), previous = "";
      for (var i = 0; i < n; i++) {
        var line = lines[i];
        previous = terms[i] = previous.slice(0, line.charCodeAt(0) - 48) + line.slice(1);
      }
      return core.wordList(terms, data.postings, core.lazyTrie(lunr, terms));
    },

    // {terms: distinct words in JS string order, counts: the postings of each, count(word): its postings
    // or undefined, trie: a lunr.TokenSet of the words or null until core.matches needs one}. A word is
    // looked up by binary search: no object keyed by 30,000 words is built (20 ms when a page decodes the
    // vocabulary).
    wordList: function (terms, counts, trie) {
      return {
        terms: terms, counts: counts, trie: trie,
        count: function (word) {
          var lo = 0, hi = terms.length - 1;
          while (lo <= hi) {
            var mid = (lo + hi) >> 1, term = terms[mid];
            if (term === word) return counts[mid];
            if (term < word) lo = mid + 1; else hi = mid - 1;
          }
          return undefined;
        }
      };
    },

    // The trie of `terms` (distinct, in JS string order) as a lunr.TokenSet whose nodes make their edges
    // when first read: lunr's TokenSet#intersect walks only the paths a query's automaton accepts, so
    // expanding a fuzzy word or a prefix reads a small part of the vocabulary instead of building a
    // node for each of its letters (30,000 words at 10,000 papers: 80 ms in Node). A node stands for
    // the words terms[lo, hi) sharing their first `depth` code units; its edges come in the words'
    // order, as core.trie's do.
    lazyTrie: function (lunr, terms) {
      function Node(lo, hi, depth) {
        this.lo = lo;
        this.hi = hi;
        this.depth = depth;
        this.final = lo < hi && terms[lo].length === depth;   // (a word sorts before its extensions)
        this.made = null;
      }
      Node.prototype = Object.create(lunr.TokenSet.prototype);
      Object.defineProperty(Node.prototype, "edges", {
        get: function () {
          if (this.made) return this.made;
          var edges = {}, depth = this.depth, i = this.final ? this.lo + 1 : this.lo;
          while (i < this.hi) {
            var c = terms[i].charAt(depth), j = i + 1;
            while (j < this.hi && terms[j].charAt(depth) === c) j++;
            edges[c] = new Node(i, j, depth + 1);
            i = j;
          }
          return (this.made = edges);
        }
      });
      return new Node(0, terms.length, 0);
    },

    // Everything needed to answer `queries` as the whole index would: a promise of {plan, shards: ids
    // fetched, expanded (core.expand), index: core.assemble's, answering each of `queries` as the whole
    // index would}. `load.shard(id)` gives a promise of a parsed term shard,
    // `load.vocabulary()` one of `core.vocabulary` (each may be cached by the caller).
    // Rejects with a load's error, or with an error named
    // "QueryFailed" (its `cause` lunr's) when the files are there but lunr fails on the query.
    prepare: function (lunr, manifest, pipeline, queries, load) {
      var plan = core.plan(lunr, manifest, pipeline, queries);
      var early = plan.vocabulary ? Promise.resolve(load.vocabulary()).then(function (words) {
        return core.failing(function () { return core.expand(lunr, words, plan); });
      }) : Promise.resolve(null);
      return early.then(function (expanded) {
        var ids = expanded ? core.shardsOf(manifest, expanded.terms) : plan.shards;
        return Promise.all(ids.map(load.shard)).then(function (shards) {
          return core.failing(function () {
            expanded = expanded || core.expand(lunr, core.words(shards), plan);
            return { plan: plan, shards: ids, expanded: expanded,
                     index: core.assemble(lunr, manifest, pipeline, shards, plan, expanded) };
          });
        });
      });
    },

    // fn(), with an exception thrown as core.failed's error.
    failing: function (fn) {
      try {
        return fn();
      } catch (cause) {
        throw core.failed(cause);
      }
    },

    // What the page shows for `text`: a promise of {results (lunr's), notes (the limits applied, and how
    // the query was loosened), queries (what was run)}. A query of plain words (a pasted title) asks for
    // papers with every word first. When none has them all and some words are in no paper (a typo), it
    // asks again with those words fuzzy (~1; at most LIMITS.expanding of them), a note says so
    // ({kind: "loosened", terms}); when that finds nothing either, papers with any of the words come,
    // with a note ({kind: "any"}). Rejects as core.prepare does.
    search: function (lunr, manifest, pipeline, text, load) {
      var queries = core.queries(lunr, text, manifest.fields);
      if (!queries.length) return Promise.resolve({ results: [], notes: [], queries: [] });
      return core.prepare(lunr, manifest, pipeline, queries, load).then(function (prepared) {
        var notes = prepared.plan.notes.concat(prepared.expanded.notes);
        var results = core.failing(function () {
          return core.run(lunr, prepared.index, queries.slice(0, 1));
        });
        var found = { results: results, notes: notes, queries: queries.slice(0, 1) };
        if (results.length || queries.length < 2) return found;
        function anyWord() {
          found.results = core.failing(function () { return core.run(lunr, prepared.index, queries.slice(1)); });
          found.queries = queries;
          if (found.results.length) found.notes = found.notes.concat([{ kind: "any" }]);
          return found;
        }
        var loose = core.loosened(manifest, pipeline, queries[0], prepared.expanded.terms);
        if (!loose) return anyWord();
        return core.prepare(lunr, manifest, pipeline, [loose.query], load).then(function (again) {
          var retried = core.failing(function () { return core.run(lunr, again.index, [loose.query]); });
          if (!retried.length) return anyWord();
          return { results: retried, queries: [queries[0], loose.query],
                   notes: notes.concat(again.plan.notes, again.expanded.notes,
                                       [{ kind: "loosened", terms: loose.terms }]) };
        });
      });
    },

    // `query` (plain words, each required) with the words no paper holds made fuzzy: {query, terms: those
    // words as typed}, or null when every word is known, or more than LIMITS.expanding are not. `known`
    // holds the index's words among the query's ({term: true}, core.expand's).
    loosened: function (manifest, pipeline, query, known) {
      var unknown = [];
      var words = core.read(query, manifest.fields).map(function (clause) {
        var terms = pipeline.runString(clause.term, { fields: manifest.fields });
        var found = terms.some(function (term) { return known[term] === true; });
        if (found || !terms.length) return "+" + clause.word;
        unknown.push(clause.word);
        return "+" + clause.word + "~1";
      });
      if (!unknown.length || unknown.length > LIMITS.expanding) return null;
      return { query: words.join(" "), terms: unknown };
    },

    // An error named "QueryFailed" for lunr's failure `cause` on a query whose files are all there.
    failed: function (cause) {
      var err = new Error(String(cause && cause.message || cause));
      err.name = "QueryFailed";
      err.cause = cause;
      return err;
    },

    // Whether a clause stands for other words than its own: a wildcard or a fuzzy term.
    expands: function (clause) {
      return clause.editDistance > 0 || clause.term.indexOf("*") >= 0;
    },

    // The words of `words` (core.words of the plan's shards, or core.vocabulary) that the clauses of
    // `plan` stand for: {terms: {word: true}, notes: [...]}. A plain term stands for itself if `words`
    // holds it. A wildcard or fuzzy term stands for the words of `words` its lunr automaton accepts
    // (core.matches), at most LIMITS.expansion of them: the ones in most documents (a note says so).
    expand: function (lunr, words, plan) {
      var used = Object.create(null), notes = [];
      var budget = Math.floor(LIMITS.postings / Math.max(1, plan.clauses.filter(core.expands).length));
      plan.clauses.forEach(function (clause) {
        if (!core.expands(clause)) {
          if (words.count(clause.term) !== undefined) used[clause.term] = true;
          return;
        }
        var found = core.matches(lunr, words, clause);
        var kept = core.mostFrequent(found, LIMITS.expansion, budget);
        if (kept.length < found.length) {
          notes.push({ kind: "expansion", term: clause.term, count: found.length, used: kept.length });
        }
        kept.forEach(function (word) { used[word] = true; });
      });
      return { terms: used, notes: notes };
    },

    // The words of `words` that a wildcard or fuzzy `clause` stands for in lunr, each as [postings, word].
    // A fuzzy term: lunr's own TokenSet intersection of the words' trie with lunr.TokenSet.fromClause,
    // kept only if `words` holds them (lunr.js 2.3.9's intersection can yield words the index does not
    // hold, and lunr then throws reading their postings). A wildcard term without an edit distance: lunr's
    // automaton for it (TokenSet.fromString) accepts exactly the strings that match it with "*" standing
    // for any run of code units, so each word is matched against that pattern (walking the whole trie, as
    // a leading wildcard makes lunr's intersection do, took 80 ms at 10,000 papers; this takes a few).
    matches: function (lunr, words, clause) {
      var out = [];
      if (!("editDistance" in clause)) {
        var pattern = core.wildcard(clause.term), terms = words.terms;
        for (var i = 0; i < terms.length; i++) if (pattern.test(terms[i])) out.push([words.counts[i], terms[i]]);
        return out;
      }
      words.trie = words.trie || core.trie(lunr, words.terms);
      words.trie.intersect(lunr.TokenSet.fromClause(clause)).toArray().forEach(function (word) {
        var count = words.count(word);
        if (count !== undefined) out.push([count, word]);
      });
      return out;
    },

    // A regular expression matching what lunr's TokenSet.fromString(term) accepts: the term's code units,
    // each "*" any run of them (none included).
    wildcard: function (term) {
      return new RegExp("^" + term.split("*").map(function (part) {
        return part.replace(/[\\^$.|?+()[\]{}-]/g, "\\$&");
      }).join("[\\s\\S]*") + "$");
    },

    // Words of `ranked` ([postings, word] pairs), those in most documents first, while they number at most
    // `count` and their postings ((document, field) pairs, what lunr's query and the assembly spend their
    // time on) at most `budget`; a word that would exceed the budget is passed over. Ties in word order.
    mostFrequent: function (ranked, count, budget) {
      ranked = ranked.slice().sort(function (a, b) { return b[0] - a[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0); });
      var kept = [], spent = 0;
      for (var i = 0; i < ranked.length && kept.length < count; i++) {
        if (spent + ranked[i][0] > budget) continue;
        spent += ranked[i][0];
        kept.push(ranked[i][1]);
      }
      return kept;
    },

    // A lunr.TokenSet accepting exactly `words`: a plain trie. (lunr's TokenSet.Builder merges nodes by
    // a string of edge labels and node ids written without separators, which two different nodes can
    // share once ids grow; a trie merges nothing, and lunr's intersection only needs the edges.)
    trie: function (lunr, words) {
      var root = new lunr.TokenSet();
      words.forEach(function (word) {
        var node = root;
        for (var i = 0; i < word.length; i++) {
          var c = word.charAt(i);
          node = node.edges[c] || (node.edges[c] = new lunr.TokenSet());
        }
        node.final = true;
      });
      return root;
    },

    // `root` (an index's token set) with an intersection that yields only words of `known`: lunr.Index.query
    // reads the posting of every word the intersection yields, and throws on one it lacks (a query
    // that "could not be run"), which lunr.js 2.3.9's intersection is known to produce. Such a word's
    // node is made non-final in place, so the other words come out in lunr's own order (the order in
    // which lunr meets documents, which orders results of equal score).
    knownOnly: function (lunr, root, known) {
      root.intersect = function (other) {
        var out = lunr.TokenSet.prototype.intersect.call(root, other);
        out.toArray().forEach(function (word) {
          if (known[word] === true) return;
          var node = out;
          for (var i = 0; i < word.length; i++) node = node.edges[word.charAt(i)];
          node.final = false;
        });
        return out;
      };
      return root;
    },

    // An index answering the queries of `plan` from `shards` (parsed shard files holding every word
    // `expanded` keeps) as one lunr index over every paper would, over the words `expanded` (core.expand)
    // keeps: {fields, pipeline, tokenSet, entries: word -> shard entry, documents, query(fn)}, where
    // query is lunr.Index#query's (core.query). Its token set holds only those words, so lunr expands a
    // query's wildcards and fuzzy terms to them alone (in a trie: each node's edges in the whole index's
    // order, so expansions list their words in its order).
    assemble: function (lunr, manifest, pipeline, shards, plan, expanded) {
      var used = (expanded || core.expand(lunr, core.words(shards), plan)).terms, entries = Object.create(null);
      shards.forEach(function (list) {
        list.forEach(function (entry) { if (used[entry[0]]) entries[entry[0]] = entry; });
      });
      var index = { fields: manifest.fields, pipeline: pipeline, documents: manifest.documents, entries: entries,
                    tokenSet: core.knownOnly(lunr, core.trie(lunr, Object.keys(used).sort()), used) };
      index.query = function (fn) { return core.query(lunr, index, fn); };
      return index;
    },

    // lunr.Index#query (lunr.js 2.3.9) over `index` (core.assemble): the same clauses read the same way,
    // the same sets of required and prohibited papers, the same query vectors, and each (field, paper)
    // scored as lunr's Vector#similarity scores it: the dot product of the query vector with the paper's
    // field vector, summed in the order of the term indexes (lunr's), over the query vector's length.
    // Results come in lunr's order: by score, ties in the order lunr meets their first (field, paper).
    // Not built: a lunr.Vector per (field, paper), a MatchData per (field, paper) and word, sets of refs
    // as objects: most of lunr's time, and its garbage, on a common word's thousands of papers. A
    // (field, paper) is the number paper x fields + field. Each result's matchData.metadata names the
    // words it matched ({word: {field: {}}}), as lunr's does, made when first read.
    query: function (lunr, index, fn) {
      var fields = index.fields, width = fields.length, size = index.documents * width;
      var query = new lunr.Query(fields), presence = lunr.Query.presence;
      var seen = new Uint8Array(size), order = [], lists = [], termFieldCache = Object.create(null);
      var queryVectors = [], scoring = [], requiredMatches = [], prohibitedMatches = [];
      fields.forEach(function () { queryVectors.push(new lunr.Vector()); scoring.push([]); });
      fn.call(query, query);
      query.clauses.forEach(function (clause) {
        var terms = clause.usePipeline ? index.pipeline.runString(clause.term, { fields: clause.fields }) : [clause.term];
        var clauseMarks = null, at = clause.fields.map(function (field) { return fields.indexOf(field); });
        for (var m = 0; m < terms.length; m++) {
          clause.term = terms[m];
          var expandedTerms = index.tokenSet.intersect(lunr.TokenSet.fromClause(clause)).toArray();
          if (expandedTerms.length === 0 && clause.presence === presence.REQUIRED) {
            at.forEach(function (f) { requiredMatches[f] = core.DocSet.empty; });
            break;
          }
          expandedTerms.forEach(function (term) {
            var entry = index.entries[term];
            at.forEach(function (f) {
              var flat = entry[f + 2], termField = term + "/" + fields[f], ref = 0, k;
              if (clause.presence === presence.REQUIRED) {
                clauseMarks = clauseMarks || new Uint8Array(index.documents);
                for (k = 0, ref = 0; k < flat.length; k += 2) clauseMarks[ref += flat[k]] = 1;
                if (requiredMatches[f] === undefined) requiredMatches[f] = core.DocSet.complete;
              }
              if (clause.presence === presence.PROHIBITED) {
                var marks = new Uint8Array(index.documents);
                for (k = 0, ref = 0; k < flat.length; k += 2) marks[ref += flat[k]] = 1;
                prohibitedMatches[f] = (prohibitedMatches[f] || core.DocSet.empty).union(new core.DocSet(marks));
                return;
              }
              queryVectors[f].upsert(entry[1], clause.boost, function (a, b) { return a + b; });
              if (termFieldCache[termField]) return;
              termFieldCache[termField] = true;
              scoring[f].push(entry);
              lists.push([term, f, flat]);
              for (k = 0, ref = 0; k < flat.length; k += 2) {
                var key = (ref += flat[k]) * width + f;
                if (!seen[key]) {
                  seen[key] = 1;
                  order.push(key);
                }
              }
            });
          });
        }
        if (clause.presence === presence.REQUIRED) {
          var clauseMatches = clauseMarks ? new core.DocSet(clauseMarks) : core.DocSet.empty, made = [];
          at.forEach(function (f) {
            // (fields holding the same set get the same intersection: it is made once)
            var before = requiredMatches[f], after = null;
            for (var i = 0; i < made.length && !after; i += 2) if (made[i] === before) after = made[i + 1];
            if (!after) made.push(before, after = before.intersect(clauseMatches));
            requiredMatches[f] = after;
          });
        }
      });
      var allRequired = core.DocSet.complete, allProhibited = core.DocSet.empty;
      for (var f = 0; f < width; f++) {
        if (requiredMatches[f]) allRequired = allRequired.intersect(requiredMatches[f]);
        if (prohibitedMatches[f]) allProhibited = allProhibited.union(prohibitedMatches[f]);
      }
      if (query.isNegated()) {
        // (lunr then lists every field vector's key, in the whole index's order: by paper, then field)
        order = [];
        for (var key = 0; key < size; key++) order.push(key);
      }
      var dots = core.dots(width, size, queryVectors, scoring), results = [], matches = Object.create(null);
      var matched = core.matched(fields, lists);
      order.forEach(function (key) {
        var doc = Math.floor(key / width), field = key - doc * width;
        if (!allRequired.contains(doc) || allProhibited.contains(doc)) return;
        var score = dots[key] / queryVectors[field].magnitude() || 0, match = matches[doc];
        if (match === undefined) {
          results.push(matches[doc] = new core.Match(String(doc), score, matched));
        } else {
          match.score += score;
        }
      });
      return results.sort(function (a, b) { return b.score - a.score; });
    },

    // A set of papers as lunr.Set is one (intersect, union, contains; complete and empty), over an
    // array of marks by paper number.
    DocSet: (function () {
      function DocSet(marks) { this.marks = marks; }
      DocSet.prototype.contains = function (doc) { return this.marks[doc] === 1; };
      DocSet.prototype.intersect = function (other) {
        if (other === DocSet.complete || other === this) return this;
        if (other === DocSet.empty) return other;
        var out = new Uint8Array(this.marks.length);
        for (var i = 0; i < out.length; i++) out[i] = this.marks[i] & other.marks[i];
        return new DocSet(out);
      };
      DocSet.prototype.union = function (other) {
        if (other === DocSet.complete) return other;
        if (other === DocSet.empty || other === this) return this;
        var out = new Uint8Array(this.marks.length);
        for (var i = 0; i < out.length; i++) out[i] = this.marks[i] | other.marks[i];
        return new DocSet(out);
      };
      DocSet.complete = { contains: function () { return true; }, intersect: function (other) { return other; },
                          union: function () { return DocSet.complete; } };
      DocSet.empty = { contains: function () { return false; }, intersect: function () { return DocSet.empty; },
                       union: function (other) { return other; } };
      return DocSet;
    })(),

    // A result as lunr gives one: {ref, score, matchData}; matchData.metadata ({word: {field: {}}}) is
    // made from `matched` (core.matched) when first read.
    Match: (function () {
      function Match(ref, score, matched) {
        this.ref = ref;
        this.score = score;
        this._matched = matched;
        this._matchData = null;
      }
      Object.defineProperty(Match.prototype, "matchData", {
        get: function () { return this._matchData || (this._matchData = { metadata: this._matched(Number(this.ref)) }); }
      });
      return Match;
    })(),

    // A function giving the words paper `doc` matched, as lunr's matchData.metadata ({word: {field: {}}},
    // words and fields in the order lunr meets them), from `lists` ([word, field number, its postings as
    // in a shard: ref delta, weight, ...], in the order the query scored them). Only the shown results'
    // are ever asked for, so each looks itself up in the lists rather than every match being recorded.
    matched: function (fields, lists) {
      return function (doc) {
        var metadata = Object.create(null);
        lists.forEach(function (list) {
          var flat = list[2], ref = 0;
          for (var k = 0; k < flat.length && ref <= doc; k += 2) {
            if ((ref += flat[k]) === doc) {
              (metadata[list[0]] || (metadata[list[0]] = Object.create(null)))[fields[list[1]]] = {};
              break;
            }
          }
        });
        return metadata;
      };
    },

    // Each (field, paper)'s dot product (by (field, paper) number) of the field's query vector (a
    // lunr.Vector) with the paper's field vector, whose entries for the query's words are the weights in
    // `scoring` (by field, shard entries): summed by ascending term index, as lunr.Vector#dot adds them.
    dots: function (width, size, queryVectors, scoring) {
      var dots = new Float64Array(size);
      scoring.forEach(function (entries, f) {
        var elements = queryVectors[f].elements, weight = Object.create(null);
        for (var i = 0; i < elements.length; i += 2) weight[elements[i]] = elements[i + 1];
        entries.sort(function (a, b) { return a[1] - b[1]; }).forEach(function (entry) {
          var flat = entry[f + 2], q = weight[entry[1]], ref = 0;
          for (var k = 0; k < flat.length; k += 2) {
            ref += flat[k];
            dots[ref * width + f] += q * (flat[k + 1] / 1000);
          }
        });
      });
      return dots;
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

  var base = document.documentElement.getAttribute("data-base") || "/";
  if (base.charAt(base.length - 1) !== "/") base += "/";

  var DEBOUNCE_MS = 200;
  var PAGE_SIZE = 10;  // one request per result's document chunk: a short first page shows soonest
  var SNIPPET_CHARS = 240;
  var HINT = "Search titles, authors, tags and abstracts. " +
    "Several words find papers with all of them; title:diffusion searches one field " +
    "(title, authors, tags, abstract); +music -noise requires or excludes a word; lott* matches word beginnings.";

  // manifest: loaded once; files: path -> promise of parsed JSON (every shard and chunk is fetched once);
  // vocabulary: a promise of the decoded vocabulary (core.vocabulary), once a query needed it;
  // shown: the query on screen. generation: bumped when the preview announces a new index; work begun
  // before it is dropped.
  var state = { manifest: null, pipeline: null, loading: null, files: Object.create(null),
                vocabulary: null, shown: null, more: null, generation: 0 };
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
  // so a browser cache never pairs a new manifest with an old build's shards. The search page's
  // search-preload.js asked for it before this script ran (window.papershelfSearchStart, taken once): when
  // it is in already, it is used at once, so the first query asks for its shards while this script runs.
  function loadManifest() {
    if (!state.loading) {
      var generation = state.generation, early = window.papershelfSearchStart;
      window.papershelfSearchStart = null;
      if (typeof lunr === "undefined") {
        state.loading = Promise.reject(new Error("lunr.js did not load"));
      } else if (early && early.manifest) {
        useManifest(early.manifest);
        state.loading = Promise.resolve();
      } else {
        state.loading = (early ? early.promise
          : fetchJSON("search/manifest.json", { credentials: "same-origin", cache: "no-cache" })).then(function (m) {
          if (generation === state.generation) useManifest(m);
        });
      }
      state.loading.catch(function () { state.loading = null; });  // a later query tries again
    }
    return state.loading;
  }

  function useManifest(manifest) {
    state.manifest = manifest;
    state.pipeline = lunr.Pipeline.load(manifest.pipeline);
  }

  function file(path, priority) {
    var key = path + "?v=" + state.manifest.id;
    if (!state.files[key]) {
      state.files[key] = fetchJSON(key, { credentials: "same-origin", priority: priority || "auto" });
      state.files[key].catch(function () { delete state.files[key]; });
    }
    return state.files[key];
  }

  // The vocabulary of the manifest's build. Asked for at its own address, revalidated as the manifest is, so
  // that the page can preload it before the manifest is in (templates/search.html, for a query that surely
  // expands over it); the file names its build. One from another build (cached before a new site was
  // published) is asked for again at the address with the manifest's id, as shards are.
  function vocabularyFile() {
    var id = state.manifest.id;
    return fetchJSON(VOCABULARY, { credentials: "same-origin", cache: "no-cache" }).then(function (data) {
      return data.id === id ? data : file(VOCABULARY);
    }).then(function (data) {
      if (data.id !== id) throw new Error(VOCABULARY + ": from another build than search/manifest.json");
      return data;
    });
  }

  // What core.prepare loads: term shards, and the vocabulary (parsed and decoded once).
  var loader = {
    shard: function (id) { return file("search/terms/" + id + ".json"); },
    vocabulary: function () {
      if (!state.vocabulary) {
        state.vocabulary = vocabularyFile().then(function (data) { return core.vocabulary(lunr, data); });
        state.vocabulary.catch(function () { state.vocabulary = null; });
      }
      return state.vocabulary;
    }
  };

  // What other pages reuse (the browse view's query, themes/default/static/browse.js): the query as this
  // page reads and runs it, over the same loaded files. find(text): a promise of core.search's answer
  // ({results: lunr's, ref and score each; notes; queries}); rejects as core.search does, or when the
  // index cannot be loaded. describe(notes): the sentence this page adds about limits and loosening.
  window.papershelfSearch = {
    core: core,
    find: function (text) {
      return loadManifest().then(function () {
        return core.search(lunr, state.manifest, state.pipeline, text, loader);
      });
    },
    describe: limitedText
  };

  // The live preview (`papershelf serve`) announces a search index rebuilt after the pages it
  // has already shown: drop everything loaded from the old one (a page showing results runs its
  // query again). A published site never sends this event.
  window.addEventListener("papershelf:search-index", function () {
    state.generation += 1;
    state.manifest = null;
    state.pipeline = null;
    state.loading = null;
    state.files = Object.create(null);
    state.vocabulary = null;
  });

  var form = document.getElementById("search-form");
  var input = document.getElementById("search-input");
  var statusEl = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  if (!form || !input || !statusEl || !list) return;


  // docsFor(results)(i): a promise of results[i]'s document. The first result's chunk is asked for at once,
  // alone, at high priority; the others' (at low) when one of them is first wanted, which showPage does once
  // the first result is on the page: so they compete with it neither for the connections (a browser opens at
  // most six to a host over HTTP/1.1) and the server's time, nor for the main thread while it is shown.
  function docsFor(results) {
    function doc(i) {
      var at = core.docAt(state.manifest, results[i].ref);
      return file("search/docs/" + at[0] + ".json", i ? "low" : "high").then(function (docs) { return docs[at[1]]; });
    }
    var docs = [doc(0)];
    return function (i) {
      for (var j = docs.length; j < results.length && i > 0; j++) docs.push(doc(j));
      return docs[i];
    };
  }

  // Every result (not only the shown page) to cite, through cite.js (loaded before this script).
  function offerExport(results) {
    var box = document.getElementById("search-export");
    if (box && window.papershelfCite) {
      window.papershelfCite.offer(box, results.map(function (result) { return Number(result.ref); }), "search");
    }
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
    offerExport([]);
    if (state.more) {
      state.more.parentNode.removeChild(state.more);
      state.more = null;
    }
  }

  function failed(err) {
    clearResults();
    setStatus("The search index could not be loaded (" + err.message + "). Reload the page to try again.");
  }

  // The index is loaded but lunr failed on this query: not a reason to reload the page.
  function couldNotRun(shown, err) {
    clearResults();
    setStatus("This query could not be run: “" + shown + "” (" + (err && err.message || err) + "). " +
              "Try fewer wildcards (*) or fuzzy words (~).");
  }

  // One sentence saying which limits (core.limit, core.expand) shaped the results, or "".
  function limitedText(notes) {
    var parts = [];
    notes.forEach(function (note) {
      var text = note.kind === "distance" ? "“" + note.term + "~" + note.asked + "” was searched as ~" + note.used
        : note.kind === "stars" ? "“" + note.term + "” was left out (at most " + note.used + " * in a word)"
        : note.kind === "expanding" ? "“" + note.term + "” was left out (at most " + note.used +
          " wildcard or fuzzy words)"
        : note.kind === "words" ? "only the first " + note.used + " of " + note.count + " words were searched"
        : note.kind === "loosened" || note.kind === "any" ? null
        : "“" + note.term + "” matches " + note.count + " words; the " + note.used + " in most papers were searched";
      if (text !== null && parts.indexOf(text) < 0) parts.push(text);
    });
    return looseText(notes) + (parts.length ? " The query was limited: " + parts.join("; ") + "." : "");
  }

  // What the page says when no paper had every word as typed (core.search), or "".
  function looseText(notes) {
    var said = "";
    notes.forEach(function (note) {
      if (note.kind === "loosened") {
        said = " No paper has every word as typed, so " + note.terms.map(function (t) { return "“" + t + "”"; })
          .join(", ") + " also matched similar spellings (one letter off).";
      } else if (note.kind === "any") {
        said = " No paper has every word: papers with some of them.";
      }
    });
    return said;
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
      var searching;
      try {
        searching = core.search(lunr, state.manifest, state.pipeline, shown, loader);
      } catch (err) {
        couldNotRun(shown, err);
        return null;
      }
      return searching.then(function (found) {
        if (!current()) return null;
        if (!found.queries.length) {
          clearResults();
          setStatus("No words to search in “" + shown + "”. " + HINT);
          return null;
        }
        var note = limitedText(found.notes);
        if (!found.results.length) {
          clearResults();
          setStatus("No results for “" + shown + "”." + note);
          return null;
        }
        return showPage(shown, found.results, 0, note);
      });
    }).catch(function (err) {
      if (!current()) return;
      if (err && err.name === "QueryFailed") couldNotRun(shown, err.cause);
      else failed(err);
    });
  }

  // Shows results[from, from + PAGE_SIZE), each as soon as its document and those before it are in (the
  // first result does not wait for the tenth's chunk); a button offers the next page. A page after the
  // first ("Show more") moves keyboard focus to its first result and says what was added.
  function showPage(shown, results, from, note) {
    var page = results.slice(from, from + PAGE_SIZE), generation = state.generation, docs = docsFor(page);
    var added = [];
    function current() { return state.shown === shown && state.generation === generation; }
    var shownAll = page.reduce(function (previous, result, i) {
      return previous.then(function () { return current() ? docs(i) : null; }).then(function (doc) {
        if (!current()) return;
        if (i === 0 && from === 0) {
          clearResults();
          offerExport(results);
          var count = results.length;
          setStatus(count + (count === 1 ? " result" : " results") + " for “" + shown + "”." + (note || ""));
        }
        if (!doc) return;
        var item = document.createElement("li");
        item.appendChild(card(doc, matchedTerms(result)));
        list.appendChild(item);
        added.push(item);
      });
    }, Promise.resolve());
    return shownAll.then(function () {
      if (!current()) return;
      if (state.more) {
        state.more.parentNode.removeChild(state.more);
        state.more = null;
      }
      var next = from + PAGE_SIZE;
      if (from > 0 && added.length) {
        setStatus("Results " + (from + 1) + " to " + (from + added.length) + " of " + results.length +
                  " for “" + shown + "” added." + (note || ""));
        added[0].querySelector("a").focus();
      }
      if (next < results.length) {
        var more = document.createElement("button");
        more.type = "button";
        more.id = "search-more";
        more.textContent = "Show more results (" + (results.length - next) + " left)";
        more.addEventListener("click", function () {
          more.disabled = true;
          showPage(shown, results, next, note).catch(function (err) {
            if (current()) failed(err);
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

  // One result as the list pages' cards show a paper (card.js, the theme's shared card), with the words that
  // matched marked in its title and in a window of its abstract.
  function card(doc, terms) {
    return window.papershelfCard(Object.assign({}, doc, { text: snippet(doc.text || "", terms) }), {
      mark: function (parent, text) { appendMarked(parent, text, terms); }
    });
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

  // A new index in the preview (the listener above has dropped the old one): run the query on screen again.
  window.addEventListener("papershelf:search-index", function () {
    if (state.shown) show(state.shown);
  });

  // The "/" shortcut (site.js) can be turned off (WCAG 2.1.4): a checkbox here, remembered in localStorage
  // for every page of the site. Shown only where storage works, as the choice could not be kept otherwise.
  (function slashKeyToggle() {
    var box = document.getElementById("search-slash-key"), options = document.getElementById("search-options");
    if (!box || !options) return;
    var KEY = "papershelf.slashKey";
    try {
      box.checked = window.localStorage.getItem(KEY) !== "off";
    } catch (e) {
      return;
    }
    box.addEventListener("change", function () {
      try {
        if (box.checked) window.localStorage.removeItem(KEY); else window.localStorage.setItem(KEY, "off");
      } catch (e) {
        box.checked = !box.checked;
      }
    });
    options.hidden = false;
  })();

  var initial = readQuery();
  if (initial) input.value = initial;
  show(input.value);
})();
