// Runs queries against the split search index the way the search page does, and against one lunr index.
//
// Usage: node tests/js/split_oracle.js request.json   -> one JSON object on stdout.
// request: {"site": folder holding search/manifest.json, search/terms/, search/docs/ as the build wrote them,
//           "index": the whole index as one serialised lunr index (lunr.Index.load input),
//           "queries": [string]}
// answer:  {"split": [...], "whole": [...], "typedSplit": [...], "typedWhole": [...], "warnings": [...]}
//   whole:         per query lunr's own index.search(query): {"refs", "scores"} or {"error"}
//   split:         per query the split index's answer as the page runs it (core.run: parsed, then limited):
//                  {"refs", "scores", "shards", "notes": the limits applied (core.limit, core.expand)}
//   typed*:        per query what the page shows for it typed in the box (core.queries + core.run);
//                  typedWhole runs the whole index through core.run too, so the same limits apply
//   docs:          per query the documents (as the page loads them) of the first three split results
// The split side uses core.plan/core.assemble from themes/default/static/search.js, the page's own code.
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

function answer(fn) {
  try {
    const { results, shards, notes } = fn();
    return { refs: results.map((r) => r.ref), scores: results.map((r) => r.score), shards, notes };
  } catch (e) {
    return { error: String(e && e.name) + ": " + String(e && e.message) };
  }
}

function splitIndex(queries) {
  const plan = core.plan(lunr, manifest, pipeline, queries);
  const shards = plan.shards.map((id) => readJSON(`search/terms/${id}.json`));
  const expanded = core.expand(lunr, shards, plan);
  return { index: core.assemble(lunr, manifest, pipeline, shards, plan, expanded), shards: plan.shards,
           notes: plan.notes.concat(expanded.notes) };
}

const out = { split: [], whole: [], typedSplit: [], typedWhole: [], docs: [], warnings };
for (const q of request.queries) {
  out.whole.push(answer(() => ({ results: whole.search(q) })));
  out.split.push(answer(() => {
    const { index, shards, notes } = splitIndex([q]);
    return { results: core.run(lunr, index, [q]), shards, notes };
  }));
  const typed = core.queries(lunr, q);
  out.typedWhole.push(answer(() => ({ results: core.run(lunr, whole, typed) })));
  let firstResults = [];
  out.typedSplit.push(answer(() => {
    const { index, shards, notes } = splitIndex(typed);
    firstResults = core.run(lunr, index, typed);
    return { results: firstResults, shards, notes };
  }));
  out.docs.push(firstResults.slice(0, 3).map((r) => {
    const [chunk, at] = core.docAt(manifest, r.ref);
    return readJSON(`search/docs/${chunk}.json`)[at];
  }));
}
process.stdout.write(JSON.stringify(out));
