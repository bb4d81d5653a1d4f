/* Similar posts as a fan writes: the look-up sends the title and only the start of the body (the server
 * compares no more than that), so a long draft never makes a URL too long for the server. */
(function () {
  "use strict";
  var LIMITS = { title: 200, body: 1000 };
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.hasAttribute || !elt.hasAttribute("data-similar-draft")) return;
    var params = event.detail.parameters;
    Object.keys(LIMITS).forEach(function (name) {
      var value = params[name];
      if (typeof value === "string" && value.length > LIMITS[name]) params[name] = value.slice(0, LIMITS[name]);
    });
  });
})();
