/* papershelf default theme: "/" focuses the search box (unless the reader turned it off on the search page:
 * localStorage "papershelf.slashKey" = "off"); copy buttons for citations (a block of the page, or a list's
 * citation file fetched from the site) and download buttons for a citation shown in the page. No dependencies. */
(function () {
  "use strict";

  function isTyping(el) {
    if (!el) return false;
    var tag = el.tagName;
    return el.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  function slashKeyOff() {
    try {
      return window.localStorage.getItem("papershelf.slashKey") === "off";
    } catch (e) {
      return false;  // no storage (a privacy setting): the toggle could not have been saved either
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(document.activeElement) || slashKeyOff()) return;
    var box = document.getElementById("search-input") || document.getElementById("site-search-q");
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });

  function fallbackCopy(text) {
    // For browsers without the async clipboard API (or pages not served over https/localhost).
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); });
    }
    return fallbackCopy(text);
  }

  window.papershelfCopy = copyText;   // cite.js copies a browse or search result's citations with it

  // The text of a list's citation file, for a copy button that names it (data-copy-url).
  function fetchText(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error(url + ": HTTP " + response.status);
      return response.text();
    });
  }

  // Copy and download buttons that need this script are hidden until it runs.
  Array.prototype.forEach.call(document.querySelectorAll(".copy-buttons[hidden], [data-download-target][hidden]"),
                               function (el) { el.hidden = false; });

  // Saves `text` as a file named `name` (cite.js saves a browse or search result's citations with it).
  function saveText(text, name, type) {
    var url = URL.createObjectURL(new Blob([text], { type: type + ";charset=utf-8" }));
    var link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    document.body.removeChild(link);
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  window.papershelfDownload = saveText;

  // A citation shown in the page (data-download-target), saved as the file data-download-name.
  function download(button) {
    var source = document.getElementById(button.getAttribute("data-download-target"));
    if (!source) return;
    var name = button.getAttribute("data-download-name");
    saveText(source.textContent, name, button.getAttribute("data-download-type") || "text/plain");
    var status = button.closest("p, div").querySelector(".copy-status");
    if (status) status.textContent = "Downloaded " + name + ".";
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-download-target]") : null;
    if (button) download(button);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy-target], [data-copy-url]") : null;
    if (!button) return;
    var text;
    if (button.hasAttribute("data-copy-url")) {
      text = fetchText(button.getAttribute("data-copy-url"));
    } else {
      var source = document.getElementById(button.getAttribute("data-copy-target"));
      if (!source) return;
      text = Promise.resolve(source.textContent);
    }
    var status = button.closest("p, div").querySelector(".copy-status");
    var byHand = button.hasAttribute("data-copy-url") ? "download the file instead." : "select the text and copy it by hand.";
    text.then(copyText).then(function () {
      if (status) status.textContent = "Copied.";
    }, function () {
      if (status) status.textContent = "Could not copy: " + byHand;
    });
  });
})();
