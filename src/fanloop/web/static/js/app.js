/* fanloop front-end helpers. No dependencies besides htmx (loaded before this file).
 *
 * 1. Keeps the `tz` cookie equal to the browser's IANA time zone so the server can
 *    render dates in the viewer's zone.
 * 2. Re-localises <time datetime="..." data-local> elements in the browser
 *    (data-local may be "short", "medium", "long", "full" or "date").
 * 3. Sends the CSRF token from <meta name="csrf-token"> as the X-CSRF-Token header
 *    on every htmx request.
 */
(function () {
  "use strict";

  var ONE_YEAR = 60 * 60 * 24 * 365;
  var TZ_PATTERN = /^[A-Za-z0-9_+\-]+(\/[A-Za-z0-9_+\-]+)*$/;

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split(";") : [];
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i].trim();
      var eq = part.indexOf("=");
      if (eq > 0 && part.slice(0, eq) === name) {
        var value = part.slice(eq + 1);
        if (value.charAt(0) === '"' && value.charAt(value.length - 1) === '"') {
          value = value.slice(1, -1);
        }
        try {
          return decodeURIComponent(value);
        } catch (e) {
          return value;
        }
      }
    }
    return null;
  }

  function browserTimeZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
    } catch (e) {
      return null;
    }
  }

  /* (a) time-zone cookie. The IANA name is stored as-is (it only contains
   * characters allowed in cookie values), e.g. tz=Asia/Shanghai. */
  function syncTimeZoneCookie() {
    var tz = browserTimeZone();
    if (!tz || !TZ_PATTERN.test(tz) || readCookie("tz") === tz) return;
    var cookie = "tz=" + tz + "; path=/; max-age=" + ONE_YEAR + "; SameSite=Lax";
    if (window.location.protocol === "https:") cookie += "; Secure";
    document.cookie = cookie;
  }

  /* (b) local date-times. */
  var formatters = {};

  function pageLocale() {
    return document.documentElement.getAttribute("lang") || undefined;
  }

  function formatterFor(style) {
    var key = style || "medium";
    if (!formatters[key]) {
      var options;
      if (key === "date") {
        options = { dateStyle: "medium" };
      } else if (key === "short" || key === "long" || key === "full") {
        options = { dateStyle: key, timeStyle: key === "short" ? "short" : "medium" };
      } else {
        options = { dateStyle: "medium", timeStyle: "medium" };
      }
      try {
        formatters[key] = new Intl.DateTimeFormat(pageLocale(), options);
      } catch (e) {
        formatters[key] = new Intl.DateTimeFormat(undefined, options);
      }
    }
    return formatters[key];
  }

  function localizeTimes(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var nodes = Array.prototype.slice.call(scope.querySelectorAll("time[datetime][data-local]"));
    if (scope.matches && scope.matches("time[datetime][data-local]")) nodes.push(scope);
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      var when = new Date(node.getAttribute("datetime"));
      if (isNaN(when.getTime())) continue;
      var text = formatterFor(node.getAttribute("data-local")).format(when);
      if (node.textContent !== text) node.textContent = text;
    }
  }

  /* (c) CSRF header for htmx requests. */
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token && event.detail && event.detail.headers) {
      event.detail.headers["X-CSRF-Token"] = token;
    }
  });

  document.addEventListener("htmx:load", function (event) {
    localizeTimes(event.detail && event.detail.elt);
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    localizeTimes(event.detail && event.detail.target);
  });

  function init() {
    syncTimeZoneCookie();
    localizeTimes(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

/* Page helpers: a "js" class on <html> (hides no-JS fallbacks such as a filter form's Apply
 * button), and forms marked data-autosubmit submit themselves when a select changes. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("change", function (event) {
    var field = event.target;
    var form = field && field.form;
    if (form && form.hasAttribute("data-autosubmit") && field.tagName === "SELECT") {
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    }
  });
})();
