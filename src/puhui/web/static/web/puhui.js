// Small declarative behaviours for every page, so that templates need no inline script or on* handler
// (the Content-Security-Policy allows scripts from our own files only: puhui.core.security).
//   <select data-submit-on-change>  submits its form when the choice changes
//   <button data-confirm="text">    asks before the click goes on
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target.closest("[data-submit-on-change]");
    if (field && field.form) {
      field.form.requestSubmit ? field.form.requestSubmit() : field.form.submit();
    }
  });
  document.addEventListener("click", function (event) {
    var control = event.target.closest("[data-confirm]");
    if (control && !window.confirm(control.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
