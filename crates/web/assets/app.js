// Qianglian pages: no inline scripts (CSP). Menu toggle at phone width, confirmations.
document.addEventListener("click", function (ev) {
  var t = ev.target.closest("[data-toggle]");
  if (t) {
    var el = document.getElementById(t.getAttribute("data-toggle"));
    if (el) el.classList.toggle("open");
  }
});
document.addEventListener("submit", function (ev) {
  var f = ev.target;
  var msg = f.getAttribute && f.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) ev.preventDefault();
});
