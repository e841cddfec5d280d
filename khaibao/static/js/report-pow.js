// Solves the ALTCHA (v1) proof-of-work challenge of an anonymous report with WebCrypto:
// find n in 0..maxNumber with SHA-256(salt + n) == challenge, then put the ALTCHA payload
// (base64 JSON) in the form's hidden `pow` field. Our own code: the ALTCHA widget is npm-only.
(function () {
  "use strict";
  var script = document.currentScript;
  var data = document.getElementById("report-pow-challenge");
  var field = document.getElementById("report-pow");
  var status = document.getElementById("report-pow-status");
  if (!data || !field || !window.crypto || !window.crypto.subtle) { return; }
  var c = JSON.parse(data.textContent);
  var encoder = new TextEncoder();
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  function say(key) { if (status && script) { status.textContent = script.getAttribute(key) || ""; } }
  async function solve() {
    say("data-working");
    for (var n = 0; n <= c.maxNumber; n++) {
      var digest = await crypto.subtle.digest("SHA-256", encoder.encode(c.salt + n));
      if (hex(digest) === c.challenge) {
        field.value = btoa(JSON.stringify({
          algorithm: c.algorithm, challenge: c.challenge, number: n, salt: c.salt, signature: c.signature
        }));
        say("data-done");
        return;
      }
    }
    say("data-failed");
  }
  solve();
})();
