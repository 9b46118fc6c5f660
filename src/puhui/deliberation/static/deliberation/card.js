// 背靠背评议 vote card: moved out of the template so that the Content-Security-Policy allows no inline script.
(function () {
  // 否 (does not know the household) hides the questions; an amount of 0 shows the refusal reasons.
  var form = document.getElementById("vote-form");
  var details = document.getElementById("vote-details");
  var reasons = document.getElementById("refusal-box");
  var amount = document.getElementById("amount-input");
  function sync() {
    var knows = form.querySelector('input[name="knows"]:checked');
    details.hidden = Boolean(knows) && knows.value === "no";
    var text = amount.value.trim();
    reasons.hidden = !(text !== "" && /^0*\.?0*$/.test(text));
  }
  // a failed autosave must not leave "saved" on the screen (village networks drop out)
  function failed() {
    var status = document.getElementById("save-status");
    status.dataset.state = "failed";
    status.innerHTML = '<span class="text-danger fw-semibold"></span>';
    status.firstChild.textContent = form.dataset.failedText;
  }
  form.addEventListener("change", sync);
  form.addEventListener("input", sync);
  form.addEventListener("htmx:responseError", failed);
  form.addEventListener("htmx:sendError", failed);
  sync();
})();
