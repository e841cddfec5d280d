/* Khai Báo on the page: registers the service worker, renews the forms' submission keys, shows
 * the outbox ("waiting to send" / "sent"), stamps the one-tap update with the day of the tap, asks the worker to send it when the connection comes
 * back, and flips the large-text switch. Loaded on every page with `defer`; no inline script.
 * The strings come from the page (web/_outbox.html), already translated by the server.
 */
(function () {
  "use strict";

  var FORM_PAGE = /^\/(people\/\d+\/(update|declare|risk)|checkin)\/$/;

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  // A page served again from the cache (or from the back/forward cache) must not reuse the key
  // of an earlier submission: every page view is a new submission.
  function renewKeys() {
    document.querySelectorAll("input[name=submission_key]").forEach(function (input) { input.value = uuid(); });
  }

  // The one-tap "I am well" says the day it was tapped, not the day it reaches the server (a tap
  // queued offline at 23:50 and sent the next morning is for the evening's day) nor the day the
  // page was kept offline: its hidden `day` (data-day-of-tap = the service's time zone) is set
  // from the phone's clock at the tap. The server checks it is today or yesterday.
  function dayIn(zone) {
    try {
      // en-CA writes dates as YYYY-MM-DD.
      return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
        .format(new Date());
    } catch (e) {
      return null;  // no time-zone data: the day the server wrote into the page stays
    }
  }

  function stampTapDay(event) {
    var input = event.target.querySelector && event.target.querySelector("input[data-day-of-tap]");
    if (!input) { return; }
    var day = dayIn(input.getAttribute("data-day-of-tap") || "Asia/Ho_Chi_Minh");
    if (day && /^\d{4}-\d{2}-\d{2}$/.test(day)) { input.value = day; }
  }

  // IndexedDB: static/js/outbox-store.js, loaded before this file.
  var withStore = window.KhaibaoStore.withStore;

  // The form pages kept for offline use, with their titles, for the outbox and the offline page.
  function rememberPage() {
    // The offline page may stand in at a form's address: only the form itself counts.
    if (!FORM_PAGE.test(location.pathname) || !document.querySelector("input[name=submission_key]")) {
      return Promise.resolve();
    }
    var title = document.title;
    return withStore("pages", "readwrite", function (store) { store.put({ url: location.pathname, title: title }); });
  }

  // --- the outbox panel ----------------------------------------------------------------------
  var strings = null;

  function text(name) { return (strings && strings.getAttribute("data-" + name)) || ""; }

  function when(ms) {
    var d = new Date(ms);
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(d.getHours()) + ":" + two(d.getMinutes()) + " " + two(d.getDate()) + "/" + two(d.getMonth() + 1);
  }

  function render() {
    var panel = document.getElementById("outbox");
    if (!panel || !strings) { return Promise.resolve(); }
    return Promise.all([
      withStore("outbox", "readonly", function (s) { return s.getAll(); }),
      withStore("pages", "readonly", function (s) { return s.getAll(); }),
    ]).then(function (found) {
      var items = found[0].sort(function (a, b) { return a.created - b.created; });
      var titles = {};
      found[1].forEach(function (p) { titles[p.url] = p.title; });
      var list = panel.querySelector("ul");
      list.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "outbox-item outbox-" + item.state;
        li.setAttribute("data-key", item.key);
        var name = document.createElement("span");
        name.className = "outbox-what";
        name.textContent = (titles[item.url] || item.url) + " — " + when(item.created);
        var state = document.createElement("strong");
        state.className = "outbox-state";
        state.textContent = text(item.state);
        li.appendChild(name);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(state);
        if (item.state === "refused") {
          var again = document.createElement("a");
          again.href = item.url;
          again.textContent = text("again");
          li.appendChild(document.createTextNode(" "));
          li.appendChild(again);
        }
        list.appendChild(li);
      });
      var done = items.filter(function (i) { return i.state === "sent" || i.state === "refused"; }).length;
      panel.querySelector("button").hidden = done === 0;
      panel.hidden = items.length === 0;
    }).catch(function () {});
  }

  function clearDone() {
    return withStore("outbox", "readwrite", function (store) {
      var cursor = store.openCursor();
      cursor.onsuccess = function () {
        var c = cursor.result;
        if (!c) { return; }
        if (c.value.state === "sent" || c.value.state === "refused") { c.delete(); }
        c.continue();
      };
    }).then(render);
  }

  // The offline page lists the forms this phone keeps.
  function listForms() {
    var list = document.getElementById("offline-forms");
    if (!list) { return Promise.resolve(); }
    return withStore("pages", "readonly", function (s) { return s.getAll(); }).then(function (pages) {
      pages.forEach(function (p) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = p.url;
        a.textContent = p.title;
        li.appendChild(a);
        list.appendChild(li);
      });
      document.getElementById("offline-forms-empty").hidden = pages.length > 0;
    }).catch(function () {});
  }

  // --- the service worker ----------------------------------------------------------------------
  function askToSend() {
    if (!("serviceWorker" in navigator) || !navigator.onLine) { return; }
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.active) { reg.active.postMessage({ type: "flush" }); }
    });
  }

  function startWorker() {
    if (!("serviceWorker" in navigator)) { return; }
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "outbox-changed") { render(); }
    });
    window.addEventListener("online", askToSend);
    askToSend();
  }

  // Signing out forgets the form pages kept on this phone (another person may use it next).
  function watchSignOut() {
    document.querySelectorAll("form[action$='/sign-out/']").forEach(function (form) {
      form.addEventListener("submit", function () {
        if (navigator.serviceWorker && navigator.serviceWorker.controller) {
          navigator.serviceWorker.controller.postMessage({ type: "signed-out" });
        }
        withStore("pages", "readwrite", function (s) { s.clear(); }).catch(function () {});
      });
    });
  }

  // --- large text ------------------------------------------------------------------------------
  // The cookie is read by the server too, so the next page comes large from its first paint.
  function textSwitch() {
    var form = document.getElementById("text-size");
    if (!form) { return; }
    var button = form.querySelector("button");
    var size = form.querySelector("input[name=size]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var large = !document.documentElement.classList.contains("large-text");
      document.documentElement.classList.toggle("large-text", large);
      document.cookie = "text_size=" + (large ? "large" : "normal") + "; path=/; max-age=31536000; samesite=lax" +
        (location.protocol === "https:" ? "; secure" : "");
      button.setAttribute("aria-pressed", large ? "true" : "false");
      size.value = large ? "normal" : "large";
    });
    // A page served from the worker's cache was rendered with the cookie of that time.
    var large = /(?:^|;\s*)text_size=large(?:;|$)/.test(document.cookie);
    document.documentElement.classList.toggle("large-text", large);
    button.setAttribute("aria-pressed", large ? "true" : "false");
    size.value = large ? "normal" : "large";
  }

  function start() {
    strings = document.getElementById("outbox-strings");
    renewKeys();
    document.addEventListener("submit", stampTapDay, true);
    textSwitch();
    watchSignOut();
    var panel = document.getElementById("outbox");
    if (panel) { panel.querySelector("button").addEventListener("click", clearDone); }
    rememberPage().catch(function () {}).then(render);
    listForms();
    startWorker();
  }

  window.addEventListener("pageshow", function (event) { if (event.persisted) { renewKeys(); render(); } });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
