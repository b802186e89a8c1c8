// The plan editor's annual total and the sum of its funding sources, updated while the office types. The
// server computes both again from what is sent (and refuses sources that do not add up); this only spares
// the round trip. Amounts are counted in whole fen (integers), never in floating 万元.
(function () {
  "use strict";
  var form = document.querySelector("[data-plan-form]");
  if (!form) return;
  var totalOut = form.querySelector("[data-plan-total]");
  var fundingOut = form.querySelector("[data-funding-total]");
  var mismatch = form.querySelector("[data-funding-mismatch]");
  var FEN_PER_WAN = 1e6;
  var FEN_PER_YUAN = 100;

  function fen(text, perUnit) {
    var value = parseFloat(String(text).replace(/,/g, ""));
    return isFinite(value) ? Math.round(value * perUnit) : NaN;
  }

  function shown(amount) {  // fen → "1,234.56" (万元), like the server's money_amount
    if (isNaN(amount)) return "—";
    var parts = (amount / FEN_PER_WAN).toFixed(2).split(".");
    return parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + parts[1];
  }

  function typed(selector) {  // the sum of the filled-in inputs, and whether any was filled in
    var sum = 0, any = false;
    form.querySelectorAll(selector).forEach(function (input) {
      if (input.value.trim() === "") return;
      any = true;
      sum += fen(input.value, FEN_PER_WAN);
    });
    return { sum: sum, any: any };
  }

  function update() {
    var total = typed("[data-plan-month]").sum;
    form.querySelectorAll("[data-locked-yuan]").forEach(function (month) {
      total += fen(month.getAttribute("data-locked-yuan"), FEN_PER_YUAN);
    });
    var mode = form.querySelector("[name=spread_mode]");
    var spreadTotal = form.querySelector("[name=spread_total]");
    if (mode && mode.value && spreadTotal && spreadTotal.value.trim() !== "") {
      total = fen(spreadTotal.value, FEN_PER_WAN);  // the months will be spread from this total
    }
    var funding = typed("[data-plan-funding]");
    totalOut.textContent = shown(total);
    fundingOut.textContent = shown(funding.sum);
    mismatch.hidden = !(funding.any && funding.sum !== 0 && funding.sum !== total);
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
})();
