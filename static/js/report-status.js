/* A compliance report's page while the report is being prepared: fetches the page again every few seconds
   and swaps in its status region (#report-progress, role="status", so a screen reader reads out the change)
   until the report is ready or has failed. Used instead of a meta refresh, which reloads the whole page and
   loses the reader's place (WCAG 2.2.1). Without JavaScript the region's "check again" link does the same. */
(function () {
  "use strict";
  var region = document.getElementById("report-progress");
  if (!region || !region.dataset.pollSeconds) { return; }
  var delay = Number(region.dataset.pollSeconds) * 1000;

  function check() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("report-progress");
        if (!fresh) { return; }
        if (fresh.innerHTML !== region.innerHTML) { region.innerHTML = fresh.innerHTML; }
        if (fresh.dataset.pollSeconds) { window.setTimeout(check, delay); }
        else { delete region.dataset.pollSeconds; }
      })
      .catch(function () { window.setTimeout(check, delay * 2); });  // a dropped connection: try again later
  }
  window.setTimeout(check, delay);
}());
