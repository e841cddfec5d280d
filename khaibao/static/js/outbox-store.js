/* The offline outbox's storage on the phone, shared by the pages (static/js/offline.js) and the
 * service worker (static/js/sw.js): one IndexedDB database, "khaibao", with the forms waiting to
 * be sent ("outbox", by submission key) and the form pages kept for offline use ("pages", by URL).
 * Loaded before offline.js on every page, and by importScripts in the worker.
 */
(function (scope) {
  "use strict";

  var DB_NAME = "khaibao";
  var DB_VERSION = 1;

  function openDb() {
    return new Promise(function (resolve, reject) {
      if (!scope.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var request = scope.indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains("outbox")) { db.createObjectStore("outbox", { keyPath: "key" }); }
        if (!db.objectStoreNames.contains("pages")) { db.createObjectStore("pages", { keyPath: "url" }); }
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  // Runs `work(store)` in one transaction; resolves with its request's result once committed.
  function withStore(name, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var result = work(tx.objectStore(name));
        tx.oncomplete = function () { db.close(); resolve(result && "result" in result ? result.result : result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
        tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  scope.KhaibaoStore = { openDb: openDb, withStore: withStore };
})(self);
