// Quick exit: leave at once through /sortie/ (which forgets the draft and the open mailbox, then
// redirects to a neutral site), replacing this page in the browser history so that the back button
// does not bring the reporting site back. Escape pressed twice does the same.
(function () {
  "use strict";
  var link = document.querySelector("[data-quick-exit]");
  if (!link) {
    return;
  }
  function leave(event) {
    if (event) {
      event.preventDefault();
    }
    document.body.hidden = true;
    window.location.replace(link.href);
  }
  link.addEventListener("click", leave);
  var lastEscape = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var now = Date.now();
    if (now - lastEscape < 800) {
      leave(event);
    }
    lastEscape = now;
  });
})();
