/* Capture pages: fill the hidden GPS inputs from the phone's location; confirm destructive forms. */
(function () {
  "use strict";

  function show(status, text, isError) {
    status.textContent = text;
    status.classList.toggle("text-danger", Boolean(isError));
    status.classList.toggle("text-success", !isError);
  }

  function locate(button) {
    var form = button.closest("form");
    var status = document.getElementById("gps-status");
    var data = button.dataset;
    if (!("geolocation" in navigator)) {
      show(status, data.msgUnsupported, true);
      return;
    }
    button.disabled = true;
    show(status, data.msgWaiting, false);
    navigator.geolocation.getCurrentPosition(
      function (position) {
        var coords = position.coords;
        var metres = Math.round(coords.accuracy);
        form.querySelector("[name=gps_lat]").value = coords.latitude.toFixed(6);
        form.querySelector("[name=gps_lng]").value = coords.longitude.toFixed(6);
        form.querySelector("[name=gps_accuracy_m]").value = String(metres);
        show(status, coords.latitude.toFixed(6) + ", " + coords.longitude.toFixed(6) + " · " +
          data.msgAccuracy.replace("%(metres)s", String(metres)), false);
        button.disabled = false;
      },
      function (error) {
        show(status, error.code === error.PERMISSION_DENIED ? data.msgDenied : data.msgFailed, true);
        button.disabled = false;
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 }
    );
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-gps-button]");
    if (button) {
      event.preventDefault();
      locate(button);
    }
  });

  document.addEventListener("submit", function (event) {
    var message = event.target.dataset ? event.target.dataset.confirm : null;
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
})();
