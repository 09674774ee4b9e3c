// The reference the search tests compare against: the real lunr.js (node_modules/lunr) in Node.
//
// Usage: node tests/js/lunr_oracle.js request.json   -> one JSON object on stdout.
// The request may hold any of:
//   "texts":   [string]                   -> "tokens": index terms lunr.js's default pipeline makes of each text
//   "queryTerms": [string]                -> "queryTokens": what a search pipeline of trimmer + stemmer makes of each
//   "load":  {"index": obj, "queries": [string]}
//                                         -> "loaded": per query {"refs": [...], "scores": [...]} or {"error": "..."}
//   "build": {"fields": [[name, boost]], "docs": [{"ref": .., name: text}], "queries": [string]}
//                                         -> "built": {"index": lunr.js's own serialised index, "results": as above}
//   "parse": [string]                      -> "parsed": JSON.parse of each (files exactly as the build wrote them)
// "warnings" lists anything lunr.js warned about (e.g. an index version mismatch).
"use strict";
const fs = require("fs");
const path = require("path");
const lunr = require(path.resolve(__dirname, "../../node_modules/lunr"));

const warnings = [];
console.warn = (...args) => warnings.push(args.join(" "));

const request = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const out = {};

const indexPipeline = new lunr.Pipeline();
indexPipeline.add(lunr.trimmer, lunr.stopWordFilter, lunr.stemmer);
const searchPipeline = new lunr.Pipeline();
searchPipeline.add(lunr.trimmer, lunr.stemmer);

function search(index, queries) {
  return queries.map((q) => {
    try {
      const results = index.search(q);
      return { refs: results.map((r) => r.ref), scores: results.map((r) => r.score) };
    } catch (e) {
      return { error: String(e && e.message) };
    }
  });
}

if (request.parse) {
  out.parsed = request.parse.map((text) => JSON.parse(text));
}
if (request.texts) {
  out.tokens = request.texts.map((t) => indexPipeline.run(lunr.tokenizer(t)).map(String));
}
if (request.queryTerms) {
  out.queryTokens = request.queryTerms.map((t) => searchPipeline.runString(t.toLowerCase()));
}
if (request.load) {
  const index = lunr.Index.load(request.load.index);
  out.loaded = search(index, request.load.queries || []);
}
if (request.build) {
  const builder = new lunr.Builder();
  builder.pipeline.add(lunr.trimmer, lunr.stopWordFilter, lunr.stemmer);
  builder.searchPipeline.add(lunr.trimmer, lunr.stemmer);
  builder.ref("ref");
  for (const [name, boost] of request.build.fields) builder.field(name, { boost });
  for (const doc of request.build.docs) builder.add(doc);
  const index = builder.build();
  out.built = { index: index.toJSON(), results: search(index, request.build.queries || []) };
}
out.warnings = warnings;
process.stdout.write(JSON.stringify(out));
