/* Progressive enhancement: camera scanning with the browser's BarcodeDetector, or with the
   html5-qrcode library (installed from npm, loaded only when needed) where the browser lacks it.
   The form above works without any of this. */
(function () {
  var box = document.getElementById("scanner");
  // The checkpoint's pass form by default; the venue check-in page names its own form and field.
  var form = box && document.getElementById(box.dataset.form || "verify-form");
  if (!form || !box || !navigator.mediaDevices) { return; }
  if (!("BarcodeDetector" in window)) { fallback(form, box); return; }
  var video = document.getElementById("scanner-video");
  var start = document.getElementById("scanner-start");
  var stop = document.getElementById("scanner-stop");
  var status = document.getElementById("scanner-status");
  var stream = null, detector = null, last = "", lastAt = 0;
  box.hidden = false;
  function halt() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
    stream = null; video.hidden = true; stop.hidden = true; start.hidden = false; status.textContent = "";
  }
  function tick() {
    if (!stream) { return; }
    detector.detect(video).then(function (codes) {
      var value = codes.length ? codes[0].rawValue : "", now = Date.now();
      // The same code stays in view for seconds: verify it once, not on every frame.
      if (value && (value !== last || now - lastAt > 5000)) {
        last = value; lastAt = now;
        form.elements[box.dataset.field || "token"].value = value;
        form.requestSubmit();
      }
    }).catch(function () {}).then(function () { setTimeout(tick, 300); });
  }
  start.addEventListener("click", function () {
    BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") < 0) { throw new Error("no qr"); }
      detector = new BarcodeDetector({formats: ["qr_code"]});
      return navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false});
    }).then(function (s) {
      stream = s; video.srcObject = s; video.hidden = false; start.hidden = true; stop.hidden = false;
      status.textContent = box.dataset.scanning;
      return video.play();
    }).then(tick).catch(function () { halt(); status.textContent = box.dataset.denied; });
  });
  stop.addEventListener("click", halt);
})();
function fallback(form, box) {
  var src = box.dataset.fallbackSrc;
  var start = document.getElementById("scanner-start");
  var stop = document.getElementById("scanner-stop");
  var status = document.getElementById("scanner-status");
  var region = document.getElementById("scanner-region");
  var scanner = null, last = "", lastAt = 0;
  box.hidden = false;
  function load(done) {
    if (window.Html5Qrcode) { done(); return; }
    var tag = document.createElement("script");
    tag.src = src; tag.onload = done;
    tag.onerror = function () { status.textContent = box.dataset.denied; };
    document.head.appendChild(tag);
  }
  function halt() {
    // html5-qrcode throws (not rejects) when asked to stop a scanner that never started,
    // e.g. after the camera was refused: that must not keep the message below from showing.
    if (scanner) { try { scanner.stop().catch(function () {}); } catch (e) { /* not running */ } }
    scanner = null; region.hidden = true; stop.hidden = true; start.hidden = false; status.textContent = "";
  }
  start.addEventListener("click", function () {
    load(function () {
      region.hidden = false;
      scanner = new window.Html5Qrcode("scanner-region");
      scanner.start({facingMode: "environment"}, {fps: 4, qrbox: 220}, function (value) {
        var now = Date.now();
        if (value !== last || now - lastAt > 5000) {
          last = value; lastAt = now;
          form.elements[box.dataset.field || "token"].value = value;
          form.requestSubmit();
        }
      }).then(function () {
        start.hidden = true; stop.hidden = false; status.textContent = box.dataset.scanning;
      }).catch(function () { halt(); status.textContent = box.dataset.denied; });
    });
  });
  stop.addEventListener("click", halt);
}
// After a check (htmx), clear the box for the next person, whichever way the code came in.
document.body.addEventListener("htmx:afterRequest", function (e) {
  var form = document.getElementById("verify-form");
  if (form && e.detail.elt === form && e.detail.successful) { form.elements.token.value = ""; }
});
