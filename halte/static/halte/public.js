// Small helps of the public pages, none of them needed for the page to work without JavaScript:
// the error summary gets the focus (autofocus already does it where supported), and the receipt's
// « Imprimer » button, useless without a script, appears only with one.
(function () {
  "use strict";
  var summary = document.getElementById("erreurs");
  if (summary && document.activeElement !== summary) {
    summary.focus();
  }
  var print = document.querySelector("[data-print]");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () {
      window.print();
    });
  }
})();
