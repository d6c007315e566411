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
