/* fanloop service desk: live countdowns, the canned-response picker and the inbox's keyboard shortcuts.
 *
 * 1. Countdowns: every [data-seconds-left] element ticks once a second. It counts from the seconds
 *    left when the server drew it (and from when the browser first saw it), so a wrong clock on the
 *    viewer's machine does not matter. data-warn-in turns it amber, zero turns it red ("overdue").
 * 2. Canned responses: a <select data-macro-picker="textarea-id"> puts the chosen option's data-body
 *    at the top of the reply box and resets itself (the server adds the macro only without JavaScript).
 * 3. Inbox shortcuts: j/k move, r reply, c claim, o open, / filters, ? help, Esc leave, Ctrl+Enter send.
 * 4. On a phone the reply box is a sheet at the bottom of the screen; the page stays by the post.
 */
(function () {
  "use strict";

  /* ---------------------------------------------------------------- countdowns */
  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function format(seconds) {
    var sign = seconds < 0 ? "\u2212" : "";
    var s = Math.floor(Math.abs(seconds));
    if (s >= 86400) return sign + Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h";
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    var rest = s % 60;
    return sign + (h ? h + ":" + pad(m) : String(m)) + ":" + pad(rest);
  }

  function tick() {
    var now = Date.now();
    var nodes = document.querySelectorAll("[data-seconds-left]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      if (!el.dataset.seenAt) el.dataset.seenAt = String(now);
      var elapsed = (now - Number(el.dataset.seenAt)) / 1000;
      var left = Number(el.dataset.secondsLeft) - elapsed;
      var value = el.querySelector(".countdown-value");
      var label = el.querySelector(".countdown-label");
      var text = format(left);
      if (value && value.textContent !== text) value.textContent = text;
      if (label) label.textContent = left > 0 ? el.dataset.labelLeft : el.dataset.labelOver;
      var breached = left <= 0;
      el.classList.toggle("is-breached", breached);
      if (el.dataset.warnIn !== undefined) {
        el.classList.toggle("is-warning", !breached && Number(el.dataset.warnIn) - elapsed <= 0);
      }
      var row = el.closest(".inbox-row");
      if (row) row.classList.toggle("is-breached", breached);
    }
  }

  /* ---------------------------------------------------------------- canned responses */
  document.addEventListener("change", function (event) {
    var picker = event.target;
    if (!picker || !picker.matches || !picker.matches("select[data-macro-picker]")) return;
    var option = picker.options[picker.selectedIndex];
    var box = document.getElementById(picker.getAttribute("data-macro-picker"));
    if (!option || !option.value || !box) return;
    var text = option.getAttribute("data-body") || "";
    box.value = box.value.trim() ? text + "\n\n" + box.value : text + "\n\n";
    picker.value = "";
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  });

  /* Ctrl+Enter (or Cmd+Enter) sends the reply box it is typed in. */
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    if (!target || target.tagName !== "TEXTAREA" || !target.form) return;
    event.preventDefault();
    if (target.form.requestSubmit) target.form.requestSubmit();
    else target.form.submit();
  });

  /* ---------------------------------------------------------------- inbox */
  var selectedId = null;
  var focusReply = false;

  function inboxPage() {
    return document.getElementById("inbox-page");
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#inbox-list .inbox-row"));
  }

  function select(row, scroll) {
    rows().forEach(function (r) {
      r.classList.toggle("is-selected", r === row);
      r.removeAttribute("aria-current");
    });
    if (!row) return;
    selectedId = row.getAttribute("data-post-id");
    row.setAttribute("aria-current", "true");
    if (scroll) row.scrollIntoView({ block: "nearest" });
  }

  function selected() {
    var all = rows();
    for (var i = 0; i < all.length; i++) {
      if (all[i].getAttribute("data-post-id") === selectedId) return all[i];
    }
    return null;
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = all.indexOf(selected());
    var next = index < 0 ? 0 : Math.max(0, Math.min(all.length - 1, index + step));
    select(all[next], true);
  }

  function press(action) {
    var row = selected();
    var button = row && row.querySelector('[data-action="' + action + '"]');
    if (!button) return;
    if (action === "reply") focusReply = true;
    button.click();
  }

  function toggleHelp() {
    var dialog = document.getElementById("shortcut-help");
    if (!dialog || !dialog.showModal) return;
    if (dialog.open) dialog.close();
    else dialog.showModal();
  }

  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  document.addEventListener("keydown", function (event) {
    if (!inboxPage() || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape") {
      if (typing(event.target)) event.target.blur();
      return;
    }
    if (typing(event.target)) return;
    var handled = true;
    switch (event.key) {
      case "j":
        move(1);
        break;
      case "k":
        move(-1);
        break;
      case "r":
        press("reply");
        break;
      case "c":
        press("claim");
        break;
      case "o":
        var row = selected();
        var link = row && row.querySelector(".inbox-title");
        if (link) window.location.href = link.href;
        break;
      case "/":
        var filter = document.getElementById("inbox-board");
        if (filter) filter.focus();
        break;
      case "?":
        toggleHelp();
        break;
      default:
        handled = false;
    }
    if (handled) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-shortcut-help]")) {
      toggleHelp();
      return;
    }
    var close = event.target.closest && event.target.closest('#inbox-panel [data-action="close-panel"]');
    if (close) {
      event.preventDefault();
      closePanel(document.getElementById("inbox-panel"));
      return;
    }
    var row = event.target.closest && event.target.closest("#inbox-list .inbox-row");
    if (row) {
      select(row, false);
      if (event.target.closest('[data-action="reply"]')) focusReply = true;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    tick();
    if (!target) return;
    if (target.id === "inbox-panel") {
      var box = document.getElementById("inbox-reply-body");
      if (box && focusReply) box.focus({ preventScroll: true });
      focusReply = false;
      if (isSheet(target)) showSheet(target, box);
    }
  });

  /* On a phone the reply box is a sheet over the bottom of the screen (desk.css), so the page stays
     where the post is: scroll inside the sheet until the reply box shows, and move the page only as
     far as it takes to lift the tapped post above the sheet (never more than a screen). */
  function isSheet(panel) {
    return window.getComputedStyle(panel).position === "fixed";
  }

  function showSheet(panel, box) {
    panel.scrollTop = 0;
    var sheet = panel.getBoundingClientRect();
    if (box) {
      var rect = box.getBoundingClientRect();
      if (rect.bottom > sheet.bottom) panel.scrollTop += rect.bottom - sheet.bottom + 12;
    }
    var row = selected();
    if (!row) return;
    var place = row.getBoundingClientRect();
    var header = document.querySelector(".site-header");
    var top = header ? header.getBoundingClientRect().bottom : 0;
    if (place.bottom > sheet.top) window.scrollBy(0, Math.min(place.bottom - sheet.top + 8, place.top - top));
  }

  function closePanel(panel) {
    panel.innerHTML = "";
    var row = selected();
    if (row) {
      var button = row.querySelector('[data-action="reply"]');
      if (button) button.focus({ preventScroll: true });
    }
  }

  /* The list refreshes itself; keep the selection on the same post. */
  document.addEventListener("htmx:afterSettle", function () {
    if (selectedId && inboxPage()) {
      var row = selected();
      if (row) select(row, false);
    }
  });

  function init() {
    tick();
    window.setInterval(tick, 1000);
    var panel = document.querySelector("#inbox-panel [data-post-id]");
    if (panel) {
      selectedId = panel.getAttribute("data-post-id");
      select(selected(), true);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
