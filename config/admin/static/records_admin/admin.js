// The header's database picker goes to the chosen database as soon as one is picked (the Go button is for
// browsers without scripts).
"use strict";
document.documentElement.classList.add("js-enabled");
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
});
