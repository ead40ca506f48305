// The door check-in: after a tap the search box is emptied and focused again, ready for the next
// guest (the counts and the last guest's notice stay on the page).
(function () {
  "use strict";
  document.addEventListener("htmx:afterSettle", function (event) {
    const verb = event.detail.requestConfig && event.detail.requestConfig.verb;
    if (verb !== "post" || !document.getElementById("door-live")) return;
    const notice = document.getElementById("door-notice");
    const box = document.getElementById("door-q");
    if (box && notice && !notice.classList.contains("alert-danger")) {
      box.select();
      box.focus();
    }
  });
})();
