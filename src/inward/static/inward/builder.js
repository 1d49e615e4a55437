// The audience editor: focus after the rule builder changes, and a slug suggested from the name.
// Loaded as a file (the Content Security Policy forbids inline scripts); the builder itself is
// server-rendered and driven by htmx attributes in the template.
(function () {
  "use strict";

  // After "Add condition" or "Remove", the server names the control that should get focus
  // (the new row's field, or the Add button), so keyboard users are not dropped on <body>.
  document.addEventListener("htmx:afterSettle", function () {
    var builder = document.querySelector("#builder[data-focus]");
    if (!builder) { return; }
    var target = document.getElementById(builder.getAttribute("data-focus"));
    builder.removeAttribute("data-focus");
    if (target) { target.focus(); }
  });

  function slugify(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 100);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-slug-from]").forEach(function (slug) {
      var source = document.getElementById(slug.getAttribute("data-slug-from"));
      if (!source || slug.disabled) { return; }
      // Suggest only until the person types a slug of their own.
      var touched = slug.value !== "" && slug.value !== slugify(source.value);
      if (!touched) { slug.value = slugify(source.value); }
      slug.addEventListener("input", function () { touched = slug.value !== ""; });
      source.addEventListener("input", function () {
        if (!touched) { slug.value = slugify(source.value); }
      });
    });
  });
})();
