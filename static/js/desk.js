// Small behaviours of the desk pages, no inline scripts:
// - [data-copy="#id"] buttons copy that element: an input's value, any other element's text;
// - forms marked [data-confirm="..."] ask that question before sending;
// - a <select data-autosubmit> sends its form when changed (the merchant switcher);
// - forms marked [data-once] disable their submit button once sent (the server's one-time
//   token is what really stops a double submit; this only spares a second click).
function copiedText(source) {
  return ("value" in source ? source.value : source.textContent).trim();
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  const label = button.dataset.label || (button.dataset.label = button.textContent);
  const done = () => { button.textContent = "Copied"; setTimeout(() => { button.textContent = label; }, 1500); };
  const text = copiedText(source);
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => {});
    return;
  }
  // Plain http (the local demo): select and copy the old way.
  const scratch = document.createElement("textarea");
  scratch.value = text;
  document.body.appendChild(scratch);
  scratch.select();
  if (document.execCommand("copy")) done();
  scratch.remove();
});

// Forms marked [data-confirm="question"] ask first; "Cancel" sends nothing.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented || !form.matches("[data-once]")) return;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
  form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; b.textContent = "Sending…"; });
});

document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.submit();
});
