/* papershelf default theme: a paper's card made in the browser, the same markup as the list pages' cards
 * (templates/macros.html, paper_item), for search results (search.js) and the browse view (browse.js).
 *
 * window.papershelfCard(paper, options) returns an <article class="paper-item">.
 * paper: {url (from the site root, "papers/<slug>/"), title, date (ISO, "2024-04-05", or ""), authors (the
 *         short list), upvotes, status ("to-read", "reading", "read" or ""), read_on (ISO, the reading
 *         date of a read paper), rating (0-5), text (the start of the abstract), tags ([[name, slug], ...]),
 *         code (a URL)}; absent fields are left out as the template leaves them out.
 * options: {heading: "h2" (default) or "h3", as the list's place in the page's outline needs;
 *           mark(parent, text): appends `text` to `parent` with words marked (search's matched words)}.
 * Everything is made with createElement/textContent: titles and abstracts come from many hands and may
 * contain markup, which must stay text. What the list pages add and cards made here leave out: the COinS
 * span (reference managers read it from the page as built), a draft mark (drafts are never listed),
 * TeX in titles set as math (its text is shown).
 */
(function () {
  "use strict";

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var STATUS_LABELS = { "to-read": "To read", "reading": "Reading", "read": "Read" };

  var base = document.documentElement.getAttribute("data-base") || "/";
  if (base.charAt(base.length - 1) !== "/") base += "/";

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // "5 Apr 2024" for "2024-04-05": the date as every page of the site writes it (render.py, longdate).
  function longDate(iso) {
    var parts = iso.split("-");
    return Number(parts[2]) + " " + MONTHS[Number(parts[1]) - 1] + " " + parts[0];
  }

  function dateElement(iso) {
    var time = element("time", "", longDate(iso));
    time.setAttribute("datetime", iso);
    return time;
  }

  function plain(parent, text) {
    parent.appendChild(document.createTextNode(text));
  }

  // The meta line (macros.html, paper_meta): date, authors, upvotes with separators, then the reading
  // status and rating badges.
  function meta(paper) {
    var p = element("p", "meta"), parts = [];
    if (paper.date) {
      parts.push(dateElement(paper.date));
    } else {
      parts.push(element("span", "undated", "Undated"));
    }
    if (paper.authors) parts.push(element("span", "authors", paper.authors));
    if (paper.upvotes) {
      var up = element("span", "upvotes", "▲ " + paper.upvotes);
      up.title = "Upvotes";
      up.appendChild(element("span", "visually-hidden", " upvotes"));
      parts.push(up);
    }
    parts.forEach(function (part, i) {
      if (i) {
        var sep = element("span", "sep", "·");
        sep.setAttribute("aria-hidden", "true");
        p.append(" ", sep, " ");
      }
      p.appendChild(part);
    });
    if (paper.status) {
      var badge = element("span", "badge status-" + paper.status, STATUS_LABELS[paper.status] || paper.status);
      if (paper.status === "read" && paper.read_on) badge.append(" ", dateElement(paper.read_on));
      p.append(" ", badge);
    }
    if (paper.rating) {
      var stars = element("span", "rating"), shown = element("span", "", "★".repeat(paper.rating) + "☆".repeat(5 - paper.rating));
      shown.setAttribute("aria-hidden", "true");
      stars.append(shown, element("span", "visually-hidden", "rated " + paper.rating + " of 5"));
      p.append(" ", stars);
    }
    return p;
  }

  function tagList(tags) {
    var list = element("ul", "tags");
    list.setAttribute("aria-label", "Tags");
    tags.forEach(function (tag) {
      var li = document.createElement("li"), a = element("a", "tag", tag[0]);
      a.setAttribute("href", base + "tags/" + tag[1] + "/");
      li.appendChild(a);
      list.appendChild(li);
    });
    return list;
  }

  window.papershelfCard = function (paper, options) {
    var mark = (options && options.mark) || plain;
    var article = element("article", "paper-item");
    var heading = element((options && options.heading) || "h2", "paper-title"), link = element("a");
    link.setAttribute("href", base + paper.url);
    mark(link, paper.title);
    heading.appendChild(link);
    article.append(heading, meta(paper));
    if (paper.text) {
      var p = element("p", "abstract-start");
      mark(p, paper.text);
      article.appendChild(p);
    }
    var foot = element("div", "item-foot");
    if (paper.tags && paper.tags.length) foot.appendChild(tagList(paper.tags));
    if (paper.code && /^https?:\/\//i.test(paper.code)) {
      var code = element("a", "code-link", "Code");
      code.setAttribute("href", paper.code);
      code.rel = "noopener";
      foot.appendChild(code);
    }
    article.appendChild(foot);
    return article;
  };
})();
