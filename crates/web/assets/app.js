// Sends the CSRF token with every htmx request (the token is in <meta name="csrf-token">).
document.addEventListener("htmx:configRequest", function (e) {
  var m = document.querySelector('meta[name="csrf-token"]');
  if (m) { e.detail.headers["X-CSRF-Token"] = m.content; }
});

// The language switch returns to the page as it is now (htmx may have moved
// the address since the page was drawn); no Referer is sent (no-referrer).
document.addEventListener("submit", function (e) {
  var next = e.target.querySelector && e.target.querySelector("#switch-language-next");
  if (next) { next.value = window.location.pathname + window.location.search; }
});

// The header search's results as you type, by keyboard: Down from the box
// goes to the first result and on through the list, Up goes back (to the box
// from the first), Home and End jump, Escape closes the list and returns to
// the box with what was typed still there.
document.addEventListener("keydown", function (e) {
  var input = document.getElementById("site-search-q");
  var list = document.getElementById("site-search-results");
  if (!input || !list) { return; }
  var inList = list.contains(e.target);
  if (e.target !== input && !inList) { return; }
  var links = Array.prototype.slice.call(list.querySelectorAll("a[href]"));
  var i = links.indexOf(document.activeElement);
  var go = function (k) { e.preventDefault(); links[k].focus(); };
  if (e.key === "ArrowDown" && links.length > 0) {
    go(Math.min(i + 1, links.length - 1));
  } else if (e.key === "ArrowUp" && inList) {
    e.preventDefault();
    if (i <= 0) { input.focus(); } else { links[i - 1].focus(); }
  } else if ((e.key === "Home" || e.key === "End") && inList && links.length > 0) {
    go(e.key === "Home" ? 0 : links.length - 1);
  } else if (e.key === "Escape" && list.children.length > 0) {
    e.preventDefault();
    list.innerHTML = "";
    input.focus();
  }
});

// A button marked data-print prints the page (inline handlers are not
// allowed by the content security policy).
document.addEventListener("click", function (e) {
  if (e.target && e.target.closest && e.target.closest("[data-print]")) {
    window.print();
  }
});

// On a phone the main menu folds behind a "Menu" button (without script it
// stays open, so every page is still reachable).
(function () {
  var b = document.getElementById("menu-toggle");
  var m = document.getElementById("main-menu");
  if (!b || !m) { return; }
  b.hidden = false;
  m.classList.add("collapsible");
  b.addEventListener("click", function () {
    var open = b.getAttribute("aria-expanded") !== "true";
    b.setAttribute("aria-expanded", open ? "true" : "false");
    m.classList.toggle("open", open);
  });
})();

// The case page's section menu, made from the sections on the page (each
// card with an id and a heading), so it lists exactly what this reader sees.
(function () {
  var nav = document.getElementById("case-sections");
  if (!nav) { return; }
  var list = nav.querySelector("ul");
  var cards = document.querySelectorAll("main section.card[id]");
  var seen = {};
  Array.prototype.forEach.call(cards, function (s) {
    var h = s.querySelector("h2");
    if (!h || seen[s.id] || s.id === "next") { return; }
    seen[s.id] = true;
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.href = "#" + s.id;
    a.textContent = h.textContent.trim();
    li.appendChild(a);
    list.appendChild(li);
  });
  if (list.children.length > 1) {
    nav.hidden = false;
    var back = document.createElement("a");
    back.className = "to-sections";
    back.href = "#case-sections";
    back.textContent = nav.getAttribute("data-back");
    document.body.appendChild(back);
  }
})();

// Required fields are marked beside their label, in the page's language
// (screen readers already announce `required`, so the mark is hidden from them).
(function () {
  var m = document.querySelector('meta[name="required-label"]');
  if (!m) { return; }
  var controls = document.querySelectorAll("input[required], select[required], textarea[required]");
  Array.prototype.forEach.call(controls, function (c) {
    if (!c.id || c.type === "hidden") { return; }
    var label = document.querySelector('label[for="' + c.id + '"]');
    if (!label || label.classList.contains("sr-only") || label.querySelector(".req")) { return; }
    var s = document.createElement("span");
    s.className = "req";
    s.setAttribute("aria-hidden", "true");
    s.textContent = " (" + m.content + ")";
    label.appendChild(s);
  });
})();
