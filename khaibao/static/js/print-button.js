/* Buttons marked data-print open the browser's print dialog (no inline onclick: CSP). */
(function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
