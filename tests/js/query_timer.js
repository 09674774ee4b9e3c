// Runs queries through the search page's own code (themes/default/static/search.js: core.queries, plan,
// expand, assemble, run) over a built split index, with the real lunr.js, timing each.
//
// Usage: node tests/js/query_timer.js request.json   -> one JSON object on stdout.
// request: {"site": folder holding search/, "queries": [string],
//           "flawedIntersect": true to make lunr.TokenSet#intersect also yield a word no index holds,
//                              as lunr.js 2.3.9's does for some queries (lunr.Index#query then throws)}
// answer:  {"answers": per query {"count", "refs" (first 10), "notes", "ms"} or {"error", "ms"}}
"use strict";
const fs = require("fs");
const path = require("path");
const lunr = require(path.resolve(__dirname, "../../node_modules/lunr"));
const core = require(path.resolve(__dirname, "../../themes/default/static/search.js"));

const request = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const readJSON = (rel) => JSON.parse(fs.readFileSync(path.join(request.site, rel), "utf8"));
const manifest = readJSON("search/manifest.json");
const pipeline = lunr.Pipeline.load(manifest.pipeline);
const shards = manifest.shards.map((_, id) => readJSON(`search/terms/${id}.json`));

if (request.flawedIntersect) {
  const intersect = lunr.TokenSet.prototype.intersect;
  lunr.TokenSet.prototype.intersect = function (other) {
    const out = intersect.call(this, other);
    let node = out;
    for (const c of "zzqqbogus") node = node.edges[c] || (node.edges[c] = new lunr.TokenSet());
    node.final = true;
    return out;
  };
}

function run(text) {
  const queries = core.queries(lunr, text);
  const plan = core.plan(lunr, manifest, pipeline, queries);
  const needed = plan.shards.map((id) => shards[id]);
  const expanded = core.expand(lunr, needed, plan);
  const index = core.assemble(lunr, manifest, pipeline, needed, plan, expanded);
  return { results: core.run(lunr, index, queries), notes: plan.notes.concat(expanded.notes) };
}

const answers = request.queries.map((text) => {
  const started = process.hrtime.bigint();
  const ms = () => Number(process.hrtime.bigint() - started) / 1e6;
  try {
    const { results, notes } = run(text);
    return { count: results.length, refs: results.slice(0, 10).map((r) => r.ref), notes, ms: ms() };
  } catch (e) {
    return { error: String(e && e.name) + ": " + String(e && e.message), ms: ms() };
  }
});
process.stdout.write(JSON.stringify({ answers }));
