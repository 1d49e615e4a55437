// Inward's only hand-written script: theme toggle and small progressive enhancements.
// Loaded as a file (the Content Security Policy forbids inline scripts).
(function () {
  "use strict";
  var root = document.documentElement;
  var stored = null;
  try { stored = window.localStorage.getItem("inward-theme"); } catch (e) { stored = null; }
  if (stored === "dark" || stored === "light") { root.setAttribute("data-bs-theme", stored); }

  document.addEventListener("DOMContentLoaded", function () {
    // The toggle says what it will do: "Light theme" ("Switch to light theme" to screen
    // readers and as its tooltip) while the theme is dark, "Dark theme" while it is light.
    document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
      var label = button.querySelector("[data-theme-label]");
      var sync = function () {
        var next = root.getAttribute("data-bs-theme") === "dark" ? "light" : "dark";
        var name = button.getAttribute("data-name-" + next);
        if (label) { label.textContent = button.getAttribute("data-label-" + next); }
        if (name) { button.setAttribute("aria-label", name); button.setAttribute("title", name); }
      };
      sync();
      button.addEventListener("click", function () {
        var next = root.getAttribute("data-bs-theme") === "dark" ? "light" : "dark";
        root.setAttribute("data-bs-theme", next);
        try { window.localStorage.setItem("inward-theme", next); } catch (e) { /* private mode */ }
        sync();
      });
    });
    // A language picker submits on change; its button stays for keyboard and no-JS users.
    document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    // Copy buttons (API token secrets).
    document.querySelectorAll("[data-copy-target]").forEach(function (button) {
      button.addEventListener("click", function () {
        var target = document.getElementById(button.getAttribute("data-copy-target"));
        if (target && navigator.clipboard) { navigator.clipboard.writeText(target.textContent.trim()); }
      });
    });
  });
})();
