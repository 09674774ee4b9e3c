/* papershelf default theme: cite the papers a browse or search result lists, as BibTeX, RIS or CSL-JSON,
 * downloaded or copied, made in the browser. Every record comes from the site's cite/<n>.json files
 * (refs n * perChunk onwards: [BibTeX entry, RIS record, CSL item, slug] each, made by the build's one
 * implementation of each format); this script only joins them, exactly as the build joins a tag's or a
 * list's papers.bib, papers.ris and papers.csl.json. browse.js and search.js call
 * window.papershelfCite.offer(box, refs, name) with their result's refs (positions in site order).
 * A tag's or a shelf's first page holds a box of its own (class "list-cite", hidden without this script):
 * data-cite-tag names the tag, whose papers (in site order) this script finds in browse/facets.json
 * (exports.browse_files: each paper's most used tags) or browse/tags.json (the other tags, each with its
 * papers), or data-cite-refs lists the shelf's refs in its order;
 * data-cite-name names the files, data-cite-what the papers in the box's sentence.
 */
(function () {
  "use strict";

  var PER_CHUNK = 32;   // extras.CITE_CHUNK
  var FORMATS = [
    { id: "bibtex", label: "BibTeX", ext: ".bib", type: "application/x-bibtex" },
    { id: "ris", label: "RIS", ext: ".ris", type: "application/x-research-info-systems" },
    { id: "csl-json", label: "CSL-JSON", ext: ".csl.json", type: "application/vnd.citationstyles.csl+json" }
  ];

  var base = document.documentElement.getAttribute("data-base") || "/";
  if (base.charAt(base.length - 1) !== "/") base += "/";
  var chunks = Object.create(null);   // chunk number -> promise of its records

  function chunk(number) {
    if (!chunks[number]) {
      chunks[number] = fetch(base + "cite/" + number + ".json", { credentials: "same-origin", cache: "no-cache" })
        .then(function (response) {
          if (!response.ok) throw new Error("cite/" + number + ".json: HTTP " + response.status);
          return response.json();
        });
      chunks[number].catch(function () { delete chunks[number]; });
    }
    return chunks[number];
  }

  // The records of `refs` (an array, or a function returning a promise of one), in their order.
  function records(refs) {
    var list = typeof refs === "function" ? refs() : Promise.resolve(refs);
    return list.then(function (refs) { return Promise.all(refs.map(function (ref) {
      return chunk(Math.floor(ref / PER_CHUNK)).then(function (items) {
        var record = items[ref % PER_CHUNK];
        if (!record) throw new Error("no citation record for paper " + ref);
        return record;
      });
    })); });
  }

  // One format's text of the records, joined as the build joins a list's (citations.Citations).
  function join(list, format) {
    if (format === "bibtex") return list.map(function (r) { return r[0]; }).join("\n");
    if (format === "ris") return list.map(function (r) { return r[1]; }).join("\n");
    var used = Object.create(null);
    var items = list.map(function (r) {
      var item = r[2];
      if (used[item.id]) {   // another paper of the list took this id first: the slug (citations.csl_items)
        var copy = {};
        Object.keys(item).forEach(function (key) { copy[key] = key === "id" ? r[3] : item[key]; });
        item = copy;
      }
      used[item.id] = true;
      return item;
    });
    return JSON.stringify(items, null, 2) + "\n";
  }

  function text(refs, format) {
    return records(refs).then(function (list) { return join(list, format); });
  }

  function download(content, name, format) {
    if (!window.papershelfDownload) throw new Error("downloading needs site.js");
    window.papershelfDownload(content, name + format.ext, format.type);
  }

  function button(label, action) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "link-button";
    b.textContent = label;
    b.addEventListener("click", action);
    return b;
  }

  // Fills `box` with download and copy buttons for the papers `refs` (an array of refs, or `count` and a
  // function giving a promise of them); `name` names the downloaded files, `what` the papers in the sentence.
  function offer(box, refs, name, what, count) {
    while (box.firstChild) box.removeChild(box.firstChild);
    if (typeof refs !== "function") {
      refs = refs.slice();
      count = refs.length;
    }
    box.hidden = !count;
    if (!count) return;
    what = what || "the " + count + (count === 1 ? " paper" : " papers") + " found";
    var status = document.createElement("span");
    status.className = "copy-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    var line = document.createElement("p");
    line.appendChild(document.createTextNode("Cite " + what + ": download "));
    FORMATS.forEach(function (format, i) {
      if (i) line.appendChild(document.createTextNode(i === FORMATS.length - 1 ? " or " : ", "));
      line.appendChild(button(format.label, function () {
        text(refs, format.id).then(function (content) { download(content, name, format); }).then(function () {
          status.textContent = "Downloaded " + name + format.ext + ".";
        }, function (err) { status.textContent = "Could not make the file: " + (err.message || err); });
      }));
    });
    line.appendChild(document.createTextNode("; copy "));
    FORMATS.forEach(function (format, i) {
      if (i) line.appendChild(document.createTextNode(i === FORMATS.length - 1 ? " or " : ", "));
      line.appendChild(button(format.label, function () {
        var copy = window.papershelfCopy;
        text(refs, format.id).then(function (content) {
          if (!copy) throw new Error("copying needs site.js");
          return copy(content);
        }).then(function () { status.textContent = "Copied " + format.label + "."; },
                function () { status.textContent = "Could not copy: download the file instead."; });
      }));
    });
    line.appendChild(document.createTextNode(". "));
    line.appendChild(status);
    box.appendChild(line);
  }

  var facets = null;   // promise of browse/facets.json, fetched when a tag's export is first asked for

  function browseFile(path) {
    return fetch(base + path, { credentials: "same-origin", cache: "no-cache" }).then(function (response) {
      if (!response.ok) throw new Error(path.split("?")[0] + ": HTTP " + response.status);
      return response.json();
    });
  }

  // The refs of the tag `slug`'s papers in site order, as the browse files list each paper's tags.
  function tagRefs(slug) {
    if (!facets) {
      facets = browseFile("browse/facets.json");
      facets.catch(function () { facets = null; });
    }
    return facets.then(function (data) {
      var index = -1;
      data.tags.forEach(function (tag, i) { if (tag[1] === slug) index = i; });
      var refs = [];
      if (index >= 0) {
        data.paperTags.forEach(function (tags, ref) { if (tags.indexOf(index) >= 0) refs.push(ref); });
        return refs;
      }
      return browseFile("browse/tags.json?v=" + data.id).then(function (more) {
        var at = -1, ref = 0;
        more.tags.forEach(function (tag, j) { if (tag[1] === slug) at = j; });
        if (at < 0) throw new Error("no tag " + slug + " in the browse files");
        more.papers[at].forEach(function (delta) { ref += delta; refs.push(ref); });
        return refs;
      });
    });
  }

  // A tag's or a shelf's own box (its first page).
  function offerList(box) {
    var count = Number(box.getAttribute("data-cite-count"));
    var name = box.getAttribute("data-cite-name");
    var what = box.getAttribute("data-cite-what");
    if (box.hasAttribute("data-cite-tag")) {
      var slug = box.getAttribute("data-cite-tag");
      offer(box, function () { return tagRefs(slug); }, name, what, count);
    } else {
      var refs = (box.getAttribute("data-cite-refs") || "").split(" ").filter(Boolean).map(Number);
      offer(box, refs, name, what);
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll(".list-cite"), offerList);

  window.papershelfCite = { offer: offer, text: text, join: join };
})();
