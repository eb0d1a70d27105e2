// Customer pages: a form is sent once. A second tap while the first is on its way
// does nothing (the server guards money and codes anyway; this spares the customer
// a confusing second answer).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset.sent === "1") { event.preventDefault(); return; }
  form.dataset.sent = "1";
  var button = form.querySelector("button[type=submit]");
  if (button) { button.setAttribute("aria-busy", "true"); }
}, true);
