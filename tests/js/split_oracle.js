// Runs queries against the split search index the way the search page does, and against one lunr index.
//
// Usage: node tests/js/split_oracle.js request.json   -> one JSON object on stdout.
// request: {"site": folder holding search/manifest.json, search/terms/, search/vocabulary.json, search/docs/
//           as the build wrote them,
//           "index": the whole index as one serialised lunr index (lunr.Index.load input),
//           "queries": [string]}
// answer:  {"split": [...], "whole": [...], "lunr": [...], "clauses": [...], "typedSplit": [...], "typedWhole": [...],
//           "docs": [...], "expansions": [...], "vocabulary": [[term, postings], ...], "warnings": [...]}
//   whole:         per query the whole index's answer as the page reads the query (core.run): {"refs", "scores"}
//   lunr:          per query lunr's own index.search(query) (lunr's QueryParser): {"refs", "scores"} or {"error"}
//   clauses:       per query {"read": the page's clauses (core.read), "lunr": lunr's QueryParser's, or "error"},
//                  each clause as {term, fields, presence, editDistance, boost, usePipeline}
//   split:         per query the split index's answer as the page runs it (core.prepare, then core.run over
//                  the index core.prepare made, prepared.index, whose query is core.query):
//                  {"refs", "scores", "words": the words each result matched (lunr's matchData),
//                  "shards": the term shards fetched, "vocabulary": whether the
//                  vocabulary file was, "notes": the limits applied (core.limit, core.expand)}
//   typed*:        per query what the page shows for it typed in the box (core.queries + core.run);
//                  typedWhole runs the whole index through core.run too, so the same limits apply
//   docs:          per query the documents (as the page loads them) of the first three split results
//   expansions:    per query whether core.expand keeps the same words with the same notes over the
//                  vocabulary file as over the words of every shard, and whether each wildcard or fuzzy
//                  word stands for the words one lunr index's token set yields for it:
//                  {"same": bool, "asLunr": bool, "words", "vocabulary"}
//   vocabulary:    the vocabulary file as core.vocabulary decodes it
// The split side uses core.prepare/core.run from themes/default/static/search.js, the page's own code.
"use strict";
const fs = require("fs");
const path = require("path");
const lunr = require(path.resolve(__dirname, "../../node_modules/lunr"));
const core = require(path.resolve(__dirname, "../../themes/default/static/search.js"));

const warnings = [];
console.warn = (...args) => warnings.push(args.join(" "));

const request = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const readJSON = (rel) => JSON.parse(fs.readFileSync(path.join(request.site, rel), "utf8"));
const manifest = readJSON("search/manifest.json");
const pipeline = lunr.Pipeline.load(manifest.pipeline);
const whole = lunr.Index.load(request.index);
const vocabulary = core.vocabulary(lunr, readJSON("search/vocabulary.json"));
const everyShard = manifest.shards.map((_, id) => readJSON(`search/terms/${id}.json`));

async function answer(fn) {
  try {
    const { results, shards, notes, usedVocabulary } = await fn();
    return { refs: results.map((r) => r.ref), scores: results.map((r) => r.score),
             words: results.map((r) => Object.keys(r.matchData.metadata).sort()), shards,
             vocabulary: usedVocabulary, notes };
  } catch (e) {
    return { error: String(e && e.name) + ": " + String(e && e.message) };
  }
}

async function splitIndex(queries) {
  let usedVocabulary = false;
  const load = {
    shard: (id) => Promise.resolve(readJSON(`search/terms/${id}.json`)),
    vocabulary: () => { usedVocabulary = true; return Promise.resolve(vocabulary); },
  };
  const prepared = await core.prepare(lunr, manifest, pipeline, queries, load);
  return { index: prepared.index, shards: prepared.shards, usedVocabulary,
           notes: prepared.plan.notes.concat(prepared.expanded.notes) };
}

function sameExpansion(queries) {
  try {
    const plan = core.plan(lunr, manifest, pipeline, queries);
    const fromShards = core.expand(lunr, core.words(everyShard), plan);
    const fromVocabulary = core.expand(lunr, vocabulary, plan);
    const key = (e) => JSON.stringify([Object.keys(e.terms).sort(), e.notes]);
    // Each wildcard or fuzzy word stands for the words one lunr index's own token set yields for it (those
    // the index holds: lunr.js 2.3.9's intersection can yield others).
    const asLunr = plan.clauses.filter(core.expands).every((clause) => {
      const lunrs = whole.tokenSet.intersect(lunr.TokenSet.fromClause(clause)).toArray()
        .filter((word) => Object.prototype.hasOwnProperty.call(whole.invertedIndex, word));
      const ours = core.matches(lunr, vocabulary, clause).map((pair) => pair[1]);
      return JSON.stringify(ours.sort()) === JSON.stringify(lunrs.sort());
    });
    return { same: key(fromShards) === key(fromVocabulary), asLunr, vocabulary: plan.vocabulary,
             words: Object.keys(fromVocabulary.terms).length };
  } catch (e) {
    return { error: String(e && e.name) };
  }
}

function shape(clause) {
  return { term: clause.term, fields: clause.fields, presence: clause.presence, boost: clause.boost,
           editDistance: clause.editDistance || 0, usePipeline: clause.usePipeline };
}

function clausesOf(q) {
  const read = new lunr.Query(manifest.fields);
  core.read(q, manifest.fields).forEach((c) => read.clause(c));
  const parsed = new lunr.Query(manifest.fields);
  try {
    new lunr.QueryParser(q, parsed).parse();
  } catch (e) {
    return { read: read.clauses.map(shape), error: String(e && e.name) };
  }
  return { read: read.clauses.map(shape), lunr: parsed.clauses.map(shape) };
}

async function main() {
  const out = { split: [], whole: [], lunr: [], clauses: [], typedSplit: [], typedWhole: [], docs: [], expansions: [], warnings,
                vocabulary: vocabulary.terms.map((t, i) => [t, vocabulary.counts[i]]) };
  for (const q of request.queries) {
    out.lunr.push(await answer(() => ({ results: whole.search(q) })));
    out.whole.push(await answer(() => ({ results: core.run(lunr, whole, [q]) })));
    out.clauses.push(clausesOf(q));
    out.split.push(await answer(async () => {
      const { index, shards, notes, usedVocabulary } = await splitIndex([q]);
      return { results: core.run(lunr, index, [q]), shards, notes, usedVocabulary };
    }));
    const typed = core.queries(lunr, q, manifest.fields);
    out.typedWhole.push(await answer(() => ({ results: core.run(lunr, whole, typed) })));
    let firstResults = [];
    out.typedSplit.push(await answer(async () => {
      // as core.search runs them: the first, and the rest when it finds nothing
      const { index, shards, notes, usedVocabulary } = await splitIndex(typed);
      firstResults = typed.length ? core.run(lunr, index, typed.slice(0, 1)) : [];
      if (!firstResults.length && typed.length > 1) firstResults = core.run(lunr, index, typed.slice(1));
      return { results: firstResults, shards, notes, usedVocabulary };
    }));
    out.docs.push(firstResults.slice(0, 3).map((r) => {
      const [chunk, at] = core.docAt(manifest, r.ref);
      return readJSON(`search/docs/${chunk}.json`)[at];
    }));
    out.expansions.push(sameExpansion([q]));
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
