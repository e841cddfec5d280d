/* Khai Báo service worker (loaded by /sw.js, which sets self.KHAIBAO_SW first).
 *
 * - App shell (CSS, JS, htmx, icons, the offline page): precached at install; static files
 *   with a hashed name are cache-first (their content never changes under that name).
 * - The daily-update, declaration and venue check-in forms: network first, a copy kept offline.
 *   No other page is kept: status, passes and household pages hold health data that a shared
 *   phone should not keep once the user signs out.
 * - A form posted while offline is stored in IndexedDB ("outbox") with its submission key and
 *   posted again when the connection returns (Background Sync, or a message from an open page
 *   on `online` / on load). The server records a key once (khaibao/web/submissions.py).
 * - Web Push: shows a pushed notification and opens its link when tapped.
 */
"use strict";

var CONFIG = self.KHAIBAO_SW || { version: "dev", shell: [], offline: "/offline/" };
var SHELL_CACHE = "kb-shell-" + CONFIG.version;
var STATIC_CACHE = "kb-static";
var PAGES_CACHE = "kb-pages";
var FORM_PAGE = /^\/(people\/\d+\/(update|declare|risk)|checkin)\/$/;
var HASHED = /\.[0-9a-f]{12}\.[A-Za-z0-9]+$/;
var SYNC_TAG = "kb-outbox";
// IndexedDB: static/js/outbox-store.js, loaded before this file by /sw.js (web/offline.py).
var withStore = self.KhaibaoStore.withStore;

function outboxAll() { return withStore("outbox", "readonly", function (s) { return s.getAll(); }); }
function outboxPut(item) { return withStore("outbox", "readwrite", function (s) { s.put(item); }); }

function tellPages() {
  return self.clients.matchAll({ type: "window" }).then(function (clients) {
    clients.forEach(function (client) { client.postMessage({ type: "outbox-changed" }); });
  });
}

// --- install / activate -----------------------------------------------------------------------
self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
    var requests = CONFIG.shell.map(function (url) { return new Request(url); });
    // Without cookies: the offline page must hold no one's data (and must not use up a
    // message waiting in the session for the next page).
    requests.push(new Request(CONFIG.offline, { credentials: "omit" }));
    return cache.addAll(requests);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    // A new worker means a new release: files of the old one are garbage (the static cache
    // refills on demand with the new hashed names).
    return Promise.all(names.filter(function (name) {
      return (name.indexOf("kb-shell-") === 0 && name !== SHELL_CACHE) || name === STATIC_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

// --- fetch ------------------------------------------------------------------------------------
function pageKey(url) { return url.origin + url.pathname; }

function staticResponse(request, url) {
  if (HASHED.test(url.pathname)) {
    return caches.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          caches.open(STATIC_CACHE).then(function (cache) { cache.put(request, copy); });
        }
        return response;
      });
    });
  }
  // Unhashed (development): the network, the precached copy when offline.
  return fetch(request).catch(function () {
    return caches.match(request).then(function (hit) { return hit || Response.error(); });
  });
}

function offlineFallback(url) {
  return caches.match(pageKey(url), { cacheName: PAGES_CACHE }).then(function (hit) {
    return hit || caches.match(CONFIG.offline).then(function (page) { return page || Response.error(); });
  });
}

function pageResponse(request, url) {
  return fetch(request).then(function (response) {
    if (FORM_PAGE.test(url.pathname) && response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(PAGES_CACHE).then(function (cache) { cache.put(pageKey(url), copy); });
    }
    return response;
  }).catch(function () { return offlineFallback(url); });
}

function postOrQueue(request, url) {
  var copy = request.clone();
  return fetch(request).catch(function () {
    return copy.text().then(function (body) {
      var key = new URLSearchParams(body).get("submission_key");
      if (!key) { return offlineFallback(url); }
      return outboxPut({ key: key, url: url.pathname, body: body, state: "waiting", created: Date.now() })
        .then(function () {
          if (self.registration.sync) { return self.registration.sync.register(SYNC_TAG).catch(function () {}); }
          return null;
        })
        .then(tellPages)
        .then(function () { return Response.redirect(url.pathname + "?queued=" + encodeURIComponent(key), 303); });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method === "POST" && request.mode === "navigate" && FORM_PAGE.test(url.pathname)) {
    event.respondWith(postOrQueue(request, url));
    return;
  }
  if (request.method !== "GET") { return; }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(staticResponse(request, url));
  } else if (request.mode === "navigate") {
    event.respondWith(pageResponse(request, url));
  }
});

// --- the outbox -------------------------------------------------------------------------------
var CSRF_FIELD = /name="csrfmiddlewaretoken" value="([^"]+)"/;

function post(item) {
  return fetch(item.url, {
    method: "POST",
    body: item.body,
    credentials: "same-origin",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Khaibao-Outbox": "1" },
  });
}

// After a new sign-in the CSRF token of a page cached before it is no longer valid: take a
// fresh one from the form page and post again. Same submission key, so still recorded once.
function withFreshToken(item) {
  return fetch(item.url, { credentials: "same-origin" }).then(function (response) {
    if (response.redirected || !response.ok) { return null; }
    return response.text().then(function (html) {
      var match = CSRF_FIELD.exec(html);
      if (!match) { return null; }
      var params = new URLSearchParams(item.body);
      params.set("csrfmiddlewaretoken", match[1]);
      item.body = params.toString();
      return post(item);
    });
  });
}

function settle(item, response) {
  if (response === null || response.type === "opaqueredirect") {
    item.state = "signin";  // the server sent us to the sign-in page: kept until signed in
  } else if (response.status === 204 || response.ok) {
    item.state = "sent";
    item.sent = Date.now();
    item.body = "";  // the answers are on the server now; nothing to keep on the phone
  } else if (response.status === 429 || response.status >= 500) {
    return false;  // try again later
  } else {
    item.state = "refused";
    item.status = response.status;
  }
  return true;
}

// One run at a time; a request during a run (the connection came back while a run begun
// offline was failing) starts one more run after it.
var flushing = null;
var again = false;

// The queue is sent in the order its forms were made (`created`), never in the order IndexedDB
// keeps them (by submission key, a random UUID): a later post may replace an earlier one (a day's
// update replaces that day's), so "I am well" tapped at 08:00 must not land after the fever
// reported at 09:00. For the same reason a run stops at the first post that must wait (offline,
// 429, 5xx): the ones made after it wait too, rather than overtake it.
function byCreation(a, b) {
  return (a.created - b.created) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

function sendAll() {
  var unsent = 0;
  return outboxAll().then(function (items) {
    var pending = items.filter(function (item) { return item.state === "waiting" || item.state === "signin"; })
      .sort(byCreation);
    return pending.reduce(function (chain, item) {
      return chain.then(function () {
        if (unsent) { unsent += 1; return null; }  // an earlier post waits: this one waits behind it
        return post(item).then(function (response) {
          return response.status === 403 ? withFreshToken(item) : response;
        }).then(function (response) {
          if (!settle(item, response)) { unsent += 1; return null; }
          return outboxPut(item).then(tellPages);
        }, function () { unsent += 1; });  // still offline
      });
    }, Promise.resolve());
  }).then(function () {
    // Sent items are kept a day so the page can say "sent"; then they go.
    var dayAgo = Date.now() - 24 * 3600 * 1000;
    return withStore("outbox", "readwrite", function (store) {
      var cursor = store.openCursor();
      cursor.onsuccess = function () {
        var c = cursor.result;
        if (!c) { return; }
        if (c.value.state === "sent" && c.value.sent < dayAgo) { c.delete(); }
        c.continue();
      };
    });
  }).then(function () {
    if (unsent) { throw new Error("outbox: " + unsent + " not sent yet"); }
  });
}

function flush() {
  if (flushing) { again = true; return flushing; }
  function next(failure) {
    flushing = null;
    if (again) { again = false; return flush(); }
    if (failure) { throw failure; }
    return null;
  }
  flushing = sendAll().then(function () { return next(null); }, next);
  return flushing;
}

self.addEventListener("sync", function (event) {
  // A rejected promise tells the browser to try this sync again later.
  if (event.tag === SYNC_TAG) { event.waitUntil(flush()); }
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "flush") {
    event.waitUntil(flush().catch(function () {}));
  } else if (data.type === "signed-out") {
    // Done here, not by the page: the page is unloading and would abort its own transaction.
    event.waitUntil(Promise.all([
      caches.delete(PAGES_CACHE),
      withStore("pages", "readwrite", function (store) { store.clear(); }),
    ]).then(tellPages));
  }
});

// --- Web Push ---------------------------------------------------------------------------------
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data && event.data.text() }; }
  event.waitUntil(self.registration.showNotification(data.title || "Khai Báo", {
    body: data.body || "", data: { url: data.url || "/notifications/" }, lang: data.lang || "vi",
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/notifications/";
  if (url.charAt(0) !== "/" || url.charAt(1) === "/") { url = "/notifications/"; }
  event.waitUntil(self.clients.openWindow(url));
});
