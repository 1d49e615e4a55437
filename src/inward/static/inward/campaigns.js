// Campaign pages: show only the timing fields that apply, the condition's touch and the
// event fields when they matter, and the preview's person picker. Everything is visible
// and works without this file; it only tidies the forms. Loaded as a file (the Content
// Security Policy forbids inline scripts).
(function () {
  "use strict";

  function words(text) { return (text || "").split(/\s+/).filter(Boolean); }

  function toggleTiming(select) {
    document.querySelectorAll("[data-timing-part]").forEach(function (part) {
      part.hidden = words(part.getAttribute("data-timing-part")).indexOf(select.value) === -1;
    });
  }

  function toggleCondition(select) {
    document.querySelectorAll("[data-condition-part]").forEach(function (part) {
      part.hidden = select.value === "all";
    });
  }

  function toggleEvent(select) {
    document.querySelectorAll("[data-event-part]").forEach(function (part) {
      part.hidden = words(part.getAttribute("data-event-part")).indexOf(select.value) === -1;
    });
  }

  function watch(selector, toggle) {
    var select = document.querySelector(selector);
    if (!select) { return; }
    toggle(select);
    select.addEventListener("change", function () { toggle(select); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    watch("[data-timing-select]", toggleTiming);
    watch("#touch-form select[name=condition]", toggleCondition);
    watch("#touch-form select[name=channel]", toggleEvent);
  });

  // The preview's person picker: results come from htmx; a click picks that person, and
  // the "preview-person" event makes the preview render again for them.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-preview-person]");
    if (!button) { return; }
    var input = document.getElementById("preview-person");
    var name = document.getElementById("preview-person-name");
    if (input) { input.value = button.getAttribute("data-preview-person"); }
    if (name) { name.textContent = button.getAttribute("data-preview-name"); }
    var results = document.getElementById("person-results");
    if (results) { results.textContent = ""; }
    var search = document.getElementById("person-q");
    if (search) { search.value = ""; search.focus(); }
    document.body.dispatchEvent(new CustomEvent("preview-person"));
  });
})();

// After moving a touch up or down the page comes back at "#touch-<id>": put the keyboard
// focus on that touch again, so a second move is one Tab away.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  if (!/^#touch-\d+$/.test(window.location.hash)) { return; }
  var touch = document.getElementById(window.location.hash.slice(1));
  if (touch) { touch.focus(); }
});
