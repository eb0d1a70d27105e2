// The new installment order form: add / remove item rows and show the line totals and
// the gross amount as typed. Only a preview: the server recomputes and checks it.
(function () {
  const form = document.getElementById("vospay-order-form");
  if (!form) return;
  const rows = document.getElementById("item-rows");
  const template = document.getElementById("item-template");
  const max = parseInt(form.dataset.maxItems || "50", 10);
  const fmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

  function whole(text) {
    const t = (text || "").trim().replace(/,/g, "");
    if (t === "") return 0;
    return /^\d+$/.test(t) ? BigInt(t) : null;
  }

  function recompute() {
    let gross = 0n;
    let valid = true;
    rows.querySelectorAll(".item-row").forEach((row) => {
      const q = whole(row.querySelector("[name=item_quantity]").value);
      const p = whole(row.querySelector("[name=item_unit_price]").value);
      const cell = row.querySelector(".line-total");
      if (q === null || p === null) { cell.textContent = "–"; valid = false; return; }
      const line = BigInt(q) * BigInt(p);
      cell.textContent = fmt.format(line);
      gross += line;
    });
    form.querySelectorAll(".cost").forEach((input) => {
      const c = whole(input.value);
      if (c === null) valid = false; else gross += BigInt(c);
    });
    document.getElementById("gross").textContent = valid ? fmt.format(gross) : "check the amounts";
    document.getElementById("gross-unit").hidden = !valid;
  }

  document.getElementById("add-item").addEventListener("click", () => {
    if (rows.querySelectorAll(".item-row").length >= max) return;
    rows.appendChild(template.content.cloneNode(true));
    rows.lastElementChild.querySelector("input").focus();
    recompute();
  });
  rows.addEventListener("click", (event) => {
    const button = event.target.closest(".remove-item");
    if (!button) return;
    if (rows.querySelectorAll(".item-row").length > 1) button.closest("tr").remove();
    else button.closest("tr").querySelectorAll("input").forEach((i) => { i.value = i.name === "item_quantity" ? "1" : ""; });
    recompute();
  });
  form.addEventListener("input", recompute);
  recompute();
})();
