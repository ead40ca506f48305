// The retention pages: data-print on a button prints the page (the Content-Security-Policy
// refuses onclick="…"); the print stylesheet (css/retention.css) keeps only the list.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("[data-print]");
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
})();
