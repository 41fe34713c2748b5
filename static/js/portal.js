/* Behaviour every page shares. The pages work without it; it makes them easier to use with a keyboard
   and a screen reader. */
(function () {
  "use strict";

  /* A form's error summary (templates/includes/form_errors.html) takes the focus when the page loads, so a
     screen reader reads it out and the keyboard starts from it (WCAG 3.3.1); with no error, the summary of
     warnings (a missing explanation that will be flagged, includes/form_warnings.html) does. Each of their
     links moves the focus to its field, with the field's label scrolled into view, as GOV.UK's error
     summary does. */
  var summaries = document.querySelectorAll(".error-summary, .warning-summary");
  var summary = document.querySelector(".error-summary") || summaries[0];
  if (summary) {
    // A field's autofocus would take the focus back once the page is drawn; the summary comes first.
    document.querySelectorAll("[autofocus]").forEach(function (field) { field.removeAttribute("autofocus"); });
    summary.focus();
  }
  summaries.forEach(function (box) {
    box.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var field = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
      if (!field) { return; }
      event.preventDefault();
      var label = document.querySelector("label[for='" + field.id + "']");
      (label || field).scrollIntoView();
      field.focus({ preventScroll: true });
    });
  });

  /* A table too wide for the screen scrolls inside its box (.table-responsive). The box joins the tab order
     while, and only while, it scrolls, named after the table's caption, so a keyboard user can scroll it
     with the arrow keys (WCAG 2.1.1, 1.4.10). */
  function markScrollingTables() {
    document.querySelectorAll(".table-responsive").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth;
      if (scrolls && !box.hasAttribute("tabindex")) {
        var caption = box.querySelector("caption");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (caption ? caption.textContent.trim() + ": " : "") + "table, scrolls sideways");
        box.dataset.scrollMarked = "";
      } else if (!scrolls && "scrollMarked" in box.dataset) {
        ["tabindex", "role", "aria-label", "data-scroll-marked"].forEach(function (name) { box.removeAttribute(name); });
      }
    });
  }
  markScrollingTables();
  window.addEventListener("resize", markScrollingTables);
}());
