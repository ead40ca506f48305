// The gift request form (templates/gifts/request_create.html): the address is asked only for a gift
// posted; handed over in the store, it is hidden (it stays in the form, nothing typed is lost).
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("gift-request-form");
  if (!form) return;
  const address = form.querySelector(".gift-address");
  const update = () => {
    const chosen = form.querySelector('input[name="delivery"]:checked');
    if (address) address.classList.toggle("d-none", chosen !== null && chosen.value === "in_store");
  };
  form.querySelectorAll('input[name="delivery"]').forEach((radio) => radio.addEventListener("change", update));
  update();
});
