// Narrows the concern form's list of commitments to those whose clause number or words match what is
// typed. Without JavaScript the whole list shows (and the browser's find works); ticked boxes always stay.
(function () {
  "use strict";
  var box = document.getElementById("commitment-search-box");
  var input = document.getElementById("commitment-search");
  var list = document.getElementById("div_id_commitments");
  if (!box || !input || !list) { return; }
  var options = Array.prototype.slice.call(list.querySelectorAll(".form-check"));
  var count = document.getElementById("commitment-search-count");
  list.parentNode.insertBefore(box, list);
  box.hidden = false;
  input.addEventListener("input", function () {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    options.forEach(function (option) {
      var text = option.textContent.toLowerCase();
      var ticked = option.querySelector("input").checked;
      var match = ticked || words.every(function (word) { return text.indexOf(word) !== -1; });
      option.hidden = !match;
      if (match) { shown += 1; }
    });
    count.textContent = words.length ? shown + " of " + options.length + " commitments shown" : "";
  });
}());
