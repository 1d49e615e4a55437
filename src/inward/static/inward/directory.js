// Directory import: while a dry run or an import runs, say so and stop a second submit.
// Loaded as a file (the Content Security Policy forbids inline scripts).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-import-form]").forEach(function (form) {
      form.addEventListener("submit", function () {
        var busy = document.getElementById("import-busy");
        if (busy) { busy.hidden = false; }
        // Disable after the submit has captured the clicked button's name and value.
        window.setTimeout(function () {
          form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
        }, 0);
      });
    });
  });
})();
