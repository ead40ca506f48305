// Small behaviours of the CRM shell. No framework: Bootstrap and htmx do the rest.
(function () {
  "use strict";

  // Keyboard: "/" focuses the page's search or first filter field; Esc leaves it.
  document.addEventListener("keydown", function (event) {
    const target = event.target;
    const typing = target.matches && target.matches("input, textarea, select, [contenteditable]");
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      const field = document.querySelector("[data-search], .filter-bar input, .filter-bar select");
      if (field) {
        event.preventDefault();
        field.focus();
      }
    } else if (event.key === "Escape" && typing) {
      target.blur();
    }
  });

  // Confirmations and auto-submitting selects are data attributes, not inline handlers (the
  // Content-Security-Policy refuses onclick="…"). data-confirm on a submit button or on its form
  // asks first; cancelling the dialog does not submit.
  document.addEventListener("submit", function (event) {
    const button = event.submitter;
    const question = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // data-check-all="name" on a checkbox ticks or unticks every checkbox of that name on the page
  // (a list's bulk action: the callback list's reassignment).
  document.addEventListener("change", function (event) {
    const box = event.target;
    if (!(box.matches && box.matches("input[type=checkbox][data-check-all]"))) return;
    document.querySelectorAll('input[type=checkbox][name="' + box.dataset.checkAll + '"]').forEach(function (other) {
      other.checked = box.checked;
    });
  });

  // data-autosubmit on a select: choosing an option submits its form (e.g. the language switch).
  document.addEventListener("change", function (event) {
    const select = event.target;
    if (select.matches && select.matches("select[data-autosubmit]") && select.form) {
      select.form.requestSubmit();
    }
  });

  // The customer list's bulk-SMS button carries the list's current filters, also after htmx has
  // changed them (the address bar holds them; the page and the order are not filters).
  document.addEventListener("htmx:pushedIntoHistory", function () {
    const link = document.getElementById("bulk-sms-link");
    if (!link) return;
    const params = new URLSearchParams(window.location.search);
    const kept = new URLSearchParams();
    params.forEach(function (value, name) {
      if (value && name !== "page" && name !== "order") kept.append(name, value);
    });
    const query = kept.toString();
    link.href = link.dataset.bulkBase + (query ? "?filter=" + encodeURIComponent(query) : "");
  });

  // The SMS template editor: a variable button inserts {name} etc. at the cursor of its text box;
  // the input event it sends refreshes the live preview (htmx listens for it).
  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("[data-insert-variable]");
    if (!button) return;
    const box = document.getElementById(button.dataset.target);
    if (!box) return;
    const token = "{" + button.dataset.insertVariable + "}";
    // Where the cursor was; a box never clicked into gets it at the end.
    const placed = box.dataset.caretPlaced === "1";
    const start = placed ? box.selectionStart : box.value.length;
    const end = placed ? box.selectionEnd : box.value.length;
    box.value = box.value.slice(0, start) + token + box.value.slice(end);
    box.focus();
    box.selectionStart = box.selectionEnd = start + token.length;
    box.dispatchEvent(new Event("input", { bubbles: true }));
  });

  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("textarea")) event.target.dataset.caretPlaced = "1";
  });

  // A new list of customers to preview with (the editor's search): preview with the first of them.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "preview-customer-list") {
      document.body.dispatchEvent(new Event("sms:preview"));
    }
  });

  // Idle sessions expire on the server; warn two minutes before, so nothing typed is lost.
  const idleMinutes = parseInt(document.body.dataset.idleMinutes || "0", 10);
  if (idleMinutes > 2 && document.querySelector(".app-shell")) {
    let timer;
    const warning = document.getElementById("idle-warning");
    const arm = function () {
      clearTimeout(timer);
      if (warning) warning.hidden = true;
      timer = setTimeout(function () {
        if (warning) warning.hidden = false;
      }, (idleMinutes - 2) * 60 * 1000);
    };
    document.addEventListener("htmx:afterRequest", arm);
    arm();
  }
})();
