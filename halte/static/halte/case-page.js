// The case page's side menu: a link to a section moves the keyboard focus to that section's heading
// (a link to an anchor only scrolls), so that Tab then continues from there and a screen reader
// announces it. The print view's « Imprimer » button opens the browser's print dialog.
(function () {
  "use strict";

  function focusSection(anchor) {
    var target = document.getElementById(anchor);
    if (!target) {
      return;
    }
    if (!target.hasAttribute("tabindex")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("#menu-dossier a[href^='#']");
    if (link) {
      focusSection(link.getAttribute("href").slice(1));
      return;
    }
    var button = event.target.closest("[data-halte-print]");
    if (button) {
      window.print();
    }
  });

  // Opened at an anchor (a link from elsewhere, the history): the same.
  if (window.location.hash.length > 1 && document.querySelector("#menu-dossier")) {
    focusSection(decodeURIComponent(window.location.hash.slice(1)));
  }
})();
