/* Handshake site search: progressive enhancement over search-index.json.
   The site works without this script. Results are built with DOM APIs and textContent only
   (ids and names come from trust documents and are attacker-controlled); links are followed
   only when they are relative site paths made of safe characters. */
(function () {
  "use strict";
  var SAFE_URL = /^[A-Za-z0-9._\-\/]+$/;
  var LIMIT = 20;
  var box = document.querySelector(".search");
  if (!box || !window.fetch) { return; }
  var input = document.getElementById("search-input");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  var root = document.body.getAttribute("data-root") || "";
  var entries = null;
  var loading = null;
  box.hidden = false;

  function load() {
    if (!loading) {
      loading = fetch(root + "search-index.json", { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error("search index " + r.status); } return r.json(); })
        .then(function (data) { entries = Array.isArray(data.entries) ? data.entries : []; })
        .catch(function () { entries = []; box.hidden = true; });
    }
    return loading;
  }

  function clear() {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    list.hidden = true;
  }

  function render(query) {
    clear();
    if (!query || !entries) { status.textContent = ""; return; }
    var q = query.toLowerCase();
    var ranked = [[], [], []];           /* id starts with the query, id contains it, name contains it */
    for (var i = 0; i < entries.length && ranked[0].length < LIMIT; i++) {
      var e = entries[i];
      var id = String(e.id || "").toLowerCase(), name = String(e.name || "").toLowerCase();
      var at = id.indexOf(q);
      if (at === 0) { ranked[0].push(e); } else if (at > 0) { ranked[1].push(e); } else if (name.indexOf(q) !== -1) { ranked[2].push(e); }
    }
    var found = ranked[0].concat(ranked[1], ranked[2]).slice(0, LIMIT);
    found.forEach(function (e) {
      var url = String(e.url || "");
      if (!SAFE_URL.test(url) || url.indexOf("..") !== -1) { return; }
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = root + url;
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = e.k === "treaty" ? "treaty" : "sovereign";
      a.appendChild(kind);
      a.appendChild(document.createTextNode(String(e.id) + (e.name && e.name !== e.id ? " — " + String(e.name) : "")));
      li.appendChild(a);
      list.appendChild(li);
    });
    list.hidden = list.childNodes.length === 0;
    status.textContent = list.childNodes.length + " result" + (list.childNodes.length === 1 ? "" : "s");
  }

  input.addEventListener("focus", load);
  input.addEventListener("input", function () {
    var query = input.value.trim();
    load().then(function () { render(query); });
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") { input.value = ""; clear(); }
    if (ev.key === "ArrowDown" && list.firstChild) { ev.preventDefault(); list.firstChild.firstChild.focus(); }
  });
  list.addEventListener("keydown", function (ev) {
    var item = document.activeElement && document.activeElement.parentNode;
    if (!item || item.parentNode !== list) { return; }
    if (ev.key === "ArrowDown" && item.nextSibling) { ev.preventDefault(); item.nextSibling.firstChild.focus(); }
    if (ev.key === "ArrowUp") { ev.preventDefault(); (item.previousSibling ? item.previousSibling.firstChild : input).focus(); }
    if (ev.key === "Escape") { clear(); input.focus(); }
  });
}());
