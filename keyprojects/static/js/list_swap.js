// A list that htmx refreshes in place from its filters' form (hx-get, hx-target, hx-push-url): while the new
// results load, the region is marked busy for screen readers (aria-busy; the form's hx-indicator shows
// "Loading…"), and the address keeps only the filters that are set, so that it reads well as a bookmark.
(function () {
  "use strict";

  function setBusy(region, busy) {
    if (!region) return;
    if (busy) region.setAttribute("aria-busy", "true");
    else region.removeAttribute("aria-busy");
  }

  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb !== "get") return;
    var params = event.detail.parameters; // a FormData (behind htmx's proxy)
    Array.from(params.keys()).forEach(function (name) {
      var values = params.getAll(name);
      if (values.every(function (value) { return value === ""; })) params.delete(name);
    });
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    setBusy(event.detail.target, true);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    setBusy(event.detail.target, false);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (!event.detail.successful) setBusy(event.detail.target, false);
  });
})();
