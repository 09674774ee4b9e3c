// Runs queries through the search page's own code (themes/default/static/search.js: core.queries, prepare
// (plan, expand, assemble), run) over a built split index, with the real lunr.js, timing each.
//
// Usage: node tests/js/query_timer.js request.json   -> one JSON object on stdout.
// request: {"site": folder holding search/, "queries": [string],
//           "flawedIntersect": true to make lunr.TokenSet#intersect also yield a word no index holds,
//                              as lunr.js 2.3.9's does for some queries (lunr.Index#query then throws)}
// answer:  {"answers": per query {"count", "refs" (first 10), "notes", "shards" (fetched), "vocabulary"
//           (whether the vocabulary file was needed), "ms"} or {"error", "ms"}}
// Each query reads the files it needs from disk and decodes the vocabulary afresh, as a new page would.
"use strict";
const fs = require("fs");
const path = require("path");
const lunr = require(path.resolve(__dirname, "../../node_modules/lunr"));
const core = require(path.resolve(__dirname, "../../themes/default/static/search.js"));

const request = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const readJSON = (rel) => JSON.parse(fs.readFileSync(path.join(request.site, rel), "utf8"));
const manifest = readJSON("search/manifest.json");
const pipeline = lunr.Pipeline.load(manifest.pipeline);

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

async function run(text) {
  const queries = core.queries(lunr, text, manifest.fields);
  let vocabulary = false;
  const load = {
    shard: (id) => Promise.resolve(readJSON(`search/terms/${id}.json`)),
    vocabulary: () => { vocabulary = true; return Promise.resolve(core.vocabulary(lunr, readJSON("search/vocabulary.json"))); },
  };
  const prepared = await core.prepare(lunr, manifest, pipeline, queries, load);
  return { results: core.run(lunr, prepared.index, queries), shards: prepared.shards, vocabulary,
           notes: prepared.plan.notes.concat(prepared.expanded.notes) };
}

async function main() {
  const answers = [];
  for (const text of request.queries) {
    const started = process.hrtime.bigint();
    const ms = () => Number(process.hrtime.bigint() - started) / 1e6;
    try {
      const { results, notes, shards, vocabulary } = await run(text);
      answers.push({ count: results.length, refs: results.slice(0, 10).map((r) => r.ref), notes, shards,
                     vocabulary, ms: ms() });
    } catch (e) {
      answers.push({ error: String(e && e.name) + ": " + String(e && e.message), ms: ms() });
    }
  }
  process.stdout.write(JSON.stringify({ answers }));
}

main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
