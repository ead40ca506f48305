// The appointments' pages (templates/appointments/). No inline handlers: the Content-Security-Policy
// refuses them, so the behaviours are data attributes.
(function () {
  "use strict";

  // data-print: the service desk prints its day (the print stylesheet hides the menu and the buttons).
  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("[data-print]");
    if (button) window.print();
  });

  // Typing a day or choosing an hour under "another time" chooses "another time".
  document.addEventListener("change", function (event) {
    const field = event.target;
    const other = field.closest && field.closest("[data-other-time]");
    if (!other) return;
    const choice = other.closest("[data-slot-choice]");
    const radio = choice && choice.querySelector('input[type=radio][value="other"]');
    if (radio) radio.checked = true;
  });
})();
