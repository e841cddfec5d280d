/* Progressive enhancement: shown only where the Push API exists. Registers /sw.js, asks the
   browser for a subscription with our VAPID key and stores it through the page's endpoint
   (session + CSRF). Messages and the endpoint come from the box's data-* attributes. */
(function () {
  var box = document.getElementById("webpush");
  if (!box || !("serviceWorker" in navigator) || !("PushManager" in window)) { return; }
  var status = document.getElementById("webpush-status");
  box.hidden = false;
  function key(b64) {
    var pad = "=".repeat((4 - b64.length % 4) % 4), raw = atob((b64 + pad).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  }
  function csrf() { var m = document.cookie.match(/(?:^|; )csrftoken=([^;]*)/); return m ? m[1] : document.querySelector("[name=csrfmiddlewaretoken]").value; }
  document.getElementById("webpush-enable").addEventListener("click", function () {
    var publicKey = JSON.parse(document.getElementById("vapid-public-key").textContent);
    navigator.serviceWorker.register(box.dataset.worker).then(function (reg) {
      return reg.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: key(publicKey)});
    }).then(function (sub) {
      return fetch(box.dataset.subscribe, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
        body: JSON.stringify(sub.toJSON())
      });
    }).then(function (resp) {
      status.textContent = resp.ok ? box.dataset.ok : box.dataset.failed;
    }).catch(function () {
      status.textContent = box.dataset.refused;
    });
  });
})();
