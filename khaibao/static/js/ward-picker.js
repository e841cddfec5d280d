/* The zone form's ward picker (backoffice/zones/_ward_picker.html): without JavaScript a list of
   tick boxes; with it, a search box that filters the list as you type (diacritics optional:
   "ba dinh" finds "Phường Ba Đình") and a line naming the wards chosen. */
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase().trim();
  }

  function start() {
    var picker = document.getElementById("ward-picker");
    if (!picker) { return; }
    var search = document.getElementById("ward-search");
    var chosen = document.getElementById("ward-chosen");
    var count = document.getElementById("ward-count");
    var options = Array.prototype.slice.call(picker.querySelectorAll(".ward-option"));
    var keys = options.map(function (label) { return fold(label.textContent); });
    search.parentNode.hidden = false;

    function filter() {
      var words = fold(search.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      options.forEach(function (label, i) {
        var match = words.every(function (w) { return keys[i].indexOf(w) !== -1; });
        label.hidden = !match;
        if (match) { shown += 1; }
      });
      count.textContent = words.length ? shown + " / " + options.length + " " + picker.getAttribute("data-count") : "";
    }

    function summarise() {
      var names = options.filter(function (label) { return label.querySelector("input").checked; })
        .map(function (label) { return label.textContent.trim(); });
      chosen.textContent = names.length ? picker.getAttribute("data-chosen") + " " + names.join("; ") : picker.getAttribute("data-none");
    }

    search.addEventListener("input", filter);
    // Enter in the search box must not send the whole form.
    search.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); } });
    picker.addEventListener("change", summarise);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
