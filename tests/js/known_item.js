// Known-item search: runs each query through the search page's own code (core.search over the split
// index, with the real lunr.js) and says where the paper it should find comes.
//
// Usage: node tests/js/known_item.js request.json   -> one JSON object on stdout.
// request: {"site": folder holding search/ as the build wrote it,
//           "cases": [{"query": string, "expect": [refs that count as found]}]}
// answer:  {"answers": per case {"rank": 0-based place of the first expected ref (-1: absent),
//           "first": [the first three refs], "count", "queries": what the page ran, "loosened": the
//           words the retry made fuzzy or null, "any": whether only some words matched} or {"error"}}
// Files are read once and kept, as a page keeps them across queries.
"use strict";
const fs = require("fs");
const path = require("path");
const lunr = require(path.resolve(__dirname, "../../node_modules/lunr"));
const core = require(path.resolve(__dirname, "../../themes/default/static/search.js"));

const request = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const readJSON = (rel) => JSON.parse(fs.readFileSync(path.join(request.site, rel), "utf8"));
const manifest = readJSON("search/manifest.json");
const pipeline = lunr.Pipeline.load(manifest.pipeline);
const shards = new Map();
let vocabulary = null;
const load = {
  shard: (id) => {
    if (!shards.has(id)) shards.set(id, readJSON(`search/terms/${id}.json`));
    return Promise.resolve(shards.get(id));
  },
  vocabulary: () => Promise.resolve(vocabulary || (vocabulary = core.vocabulary(lunr, readJSON("search/vocabulary.json")))),
};

async function main() {
  const answers = [];
  for (const { query, expect } of request.cases) {
    try {
      const found = await core.search(lunr, manifest, pipeline, query, load);
      const refs = found.results.map((r) => r.ref);
      const rank = refs.findIndex((ref) => expect.includes(ref));
      answers.push({ rank, first: refs.slice(0, 3), count: refs.length, queries: found.queries,
                     loosened: (found.notes.find((n) => n.kind === "loosened") || {}).terms || null,
                     any: found.notes.some((n) => n.kind === "any") });
    } catch (e) {
      answers.push({ error: String(e && e.name) + ": " + String(e && e.message) });
    }
  }
  process.stdout.write(JSON.stringify({ answers }));
}

main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
