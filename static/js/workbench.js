// The callback workbench's keyboard and small helpers (CSP: no inline script; everything is wired
// through data- attributes).
//   N               take the next callback            [data-shortcut="n"]
//   1–4             the call's outcomes               [data-shortcut="1"…]
//   5               focus "call back at…"             [data-shortcut-focus="5"]
//   0–10            in a score question: pick the score (1 then 0 quickly is 10)
//   Ctrl+Enter      complete the callback             [data-submit-shortcut]
// A form marked [data-submit-once] is sent once, however often its button is pressed.
// Shortcuts never fire while the agent types in a text field or a list.
(function () {
  "use strict";

  function typing(el) {
    if (!el) return false;
    if (el.isContentEditable) return true;
    const tag = el.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    return tag === "INPUT" && !["radio", "checkbox", "button", "submit"].includes(el.type);
  }

  function questionOf(el) {
    return el && el.closest ? el.closest(".question") : null;
  }

  function answerText(question) {
    const checked = question.querySelector("input[type=radio]:checked");
    if (checked) {
      const label = question.querySelector('label[for="' + checked.id + '"]');
      return label ? label.textContent.trim() : checked.value;
    }
    const text = question.querySelector("textarea[name^='q-']");
    return text ? text.value.trim() : "";
  }

  function prefill(question) {
    const description = question.querySelector("textarea[data-prefill]");
    if (description && !description.value.trim()) {
      description.value = description.dataset.prefill + "：" + (answerText(question) || "—");
    }
  }

  function showEscalate(question) {
    const button = question.querySelector("[data-escalate]");
    if (!button) return;
    const checked = question.querySelector("input[type=radio]:checked");
    button.hidden = !(checked && checked.hasAttribute("data-low"));
  }

  // --- score entry by number keys -------------------------------------------------------------
  let pending = null; // {group, digit, at}
  function pickScore(group, value) {
    const radio = group.querySelector('input[type=radio][value="' + value + '"]');
    if (!radio) return false;
    radio.checked = true;
    radio.focus();
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }

  document.addEventListener("keydown", function (event) {
    const target = event.target;
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      const form = target.closest ? target.closest("form#script-form") : null;
      const submit = (form || document).querySelector("[data-submit-shortcut]");
      if (submit) {
        event.preventDefault();
        submit.form.requestSubmit(submit);
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const group = target.closest ? target.closest("[data-score-entry]") : null;
    if (group && /^[0-9]$/.test(event.key)) {
      event.preventDefault();
      const now = Date.now();
      if (pending && pending.group === group && pending.digit === "1" && event.key === "0" && now - pending.at < 800) {
        pickScore(group, "10");
        pending = null;
        return;
      }
      pickScore(group, event.key);
      pending = { group: group, digit: event.key, at: now };
      return;
    }
    if (typing(target)) return;
    const key = event.key.toLowerCase();
    const focus = document.querySelector('[data-shortcut-focus="' + key + '"]');
    if (focus) {
      event.preventDefault();
      focus.focus();
      return;
    }
    const button = document.querySelector('[data-shortcut="' + key + '"]');
    if (button && !button.disabled) {
      event.preventDefault();
      button.click();
    }
  });

  // --- raising a problem from an answer -------------------------------------------------------
  document.addEventListener("change", function (event) {
    const question = questionOf(event.target);
    if (!question) return;
    if (event.target.matches("[data-problem-action]") && event.target.value) prefill(question);
    if (event.target.type === "radio") showEscalate(question);
  });

  document.addEventListener("click", function (event) {
    const button = event.target.closest ? event.target.closest("[data-escalate]") : null;
    if (!button) return;
    const question = questionOf(button);
    const details = question.querySelector("details.problem-raise");
    const action = question.querySelector("[data-problem-action]");
    if (details) details.open = true;
    if (action) action.value = "complaint";
    prefill(question);
    const description = question.querySelector("textarea[data-prefill]");
    if (description) description.focus();
  });

  // --- one press, one request: a double click on 领取下一条 or an outcome must not send twice -----
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!form.matches("[data-submit-once]") || event.defaultPrevented) return;
    // After the browser has read the form (the pressed button's value included).
    setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
    }, 0);
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".question").forEach(showEscalate);
    const invalid = document.querySelector(".question-invalid input, .question-invalid textarea");
    if (invalid) invalid.focus();
  });
})();
