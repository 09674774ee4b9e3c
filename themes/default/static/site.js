/* papershelf default theme: "/" focuses the search box (unless the reader turned it off on the search page:
 * localStorage "papershelf.slashKey" = "off"); copy buttons for BibTeX. No dependencies. */
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

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy-target]") : null;
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    if (!source) return;
    var status = button.parentNode.querySelector(".copy-status");
    copyText(source.textContent).then(function () {
      if (status) status.textContent = "Copied.";
    }, function () {
      if (status) status.textContent = "Could not copy: select the text and copy it by hand.";
    });
  });
})();
