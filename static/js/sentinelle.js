// Small behaviours that the CSP forbids inline: confirmations and CSRF for HTMX requests.
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) { event.preventDefault(); }
});
document.addEventListener("htmx:configRequest", function (event) {
  var token = document.querySelector("meta[name=csrf-token]");
  if (token) { event.detail.headers["X-CSRFToken"] = token.getAttribute("content"); }
});
// The activity form's totals with an unknown part (activities/services/counts.py), shown as they are typed:
// a total of one sex beyond its cells is that sex of unknown age; the total beyond all that is sex unknown.
document.addEventListener("input", function (event) {
  var group = event.target.closest ? event.target.closest("[data-unknown-part]") : null;
  if (!group) { return; }
  var cells = {}, totals = {}, known = 0, unknownAge = 0, unknownSex = 0;
  group.querySelectorAll("input[data-part]").forEach(function (input) {
    var sex = input.getAttribute("data-sex") || "", n = parseInt(input.value, 10);
    if (input.getAttribute("data-part") === "cell") { cells[sex] = (cells[sex] || 0) + (n > 0 ? n : 0); }
    else if (n >= 0) { totals[sex] = n; }
  });
  Object.keys(Object.assign({}, cells, totals)).forEach(function (sex) {
    if (sex === "") { return; }
    var c = cells[sex] || 0, t = totals[sex];
    if (t !== undefined && t >= c) { unknownAge += t - c; known += t; } else { known += c; }
  });
  if (totals[""] !== undefined && totals[""] >= known) { unknownSex = totals[""] - known; }
  var sexOutput = group.querySelector("[data-unknown=sex]"), ageOutput = group.querySelector("[data-unknown=age]");
  if (sexOutput) { sexOutput.textContent = unknownSex; }
  if (ageOutput) { ageOutput.textContent = unknownAge + unknownSex; }
});
// The narrow screen's menu (templates/base.html): the button folds the navigation and says so (aria-expanded);
// without JavaScript its link opens the menu as the page's target.
(function () {
  var button = document.querySelector(".menu-button"), menu = document.getElementById("site-menu");
  if (!button || !menu) { return; }
  function show(open) {
    menu.classList.toggle("open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  if (window.location.hash === "#site-menu") { history.replaceState(null, "", window.location.pathname + window.location.search); }
  show(false);
  button.addEventListener("click", function (event) { event.preventDefault(); show(!menu.classList.contains("open")); });
  button.addEventListener("keydown", function (event) {
    if (event.key === " ") { event.preventDefault(); show(!menu.classList.contains("open")); }
  });
  var close = menu.querySelector(".menu-close");
  if (close) { close.addEventListener("click", function (event) { event.preventDefault(); show(false); button.focus(); }); }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && menu.classList.contains("open")) { show(false); button.focus(); }
  });
})();
// A dashboard's list of figures folds again once a figure is chosen.
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest("details.dash-toc a") : null;
  if (link) { link.closest("details").open = false; }
});
