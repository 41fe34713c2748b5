/* Shows the deadlines a funding form will store (pay-by date, earliest effective date, ...) as the
   officer types. The server works them out with the compact's own settings and bank holidays
   (funding/rules.py), so the page and the stored record always agree. Without JavaScript the
   dates appear on the record's page after saving. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-dates-preview]");
  if (!form) { return; }
  var outputs = form.querySelectorAll("output[data-computed]");
  var names = ["compact", "expected_start", "start_date", "received_date", "notice_date"];
  var placeholder = "(enter the dates to see it)";
  var latest = 0;  // answers can arrive out of order; only the newest request's answer is shown

  function refresh() {
    var request = ++latest;
    var params = new URLSearchParams();
    if (form.dataset.relationship) { params.set("relationship", form.dataset.relationship); }
    names.forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field && field.value) { params.set(name, field.value); }
    });
    fetch(form.dataset.datesPreview + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : {}; })
      .then(function (computed) {
        if (request !== latest) { return; }
        outputs.forEach(function (output) {
          output.textContent = computed[output.dataset.computed] || placeholder;
        });
      })
      .catch(function () { /* the dates still appear on the record's page */ });
  }

  names.forEach(function (name) {
    var field = form.elements.namedItem(name);
    if (field) { field.addEventListener("change", refresh); }
  });
  refresh();
})();
