// Keep the reporting draft alive while a step is open: typing is not a request, and a child may
// write for longer than the session's idle timeout, or leave the tab to find screenshots. Pings go
// on while the page is hidden (the browser slows them, never below once a minute) and stop for good
// after a few hours, so that a forgotten tab does not keep a draft forever.
(function () {
  "use strict";
  var form = document.querySelector("[data-halte-keep-alive]");
  if (!form || !window.fetch) {
    return;
  }
  var url = form.getAttribute("data-halte-keep-alive");
  var every = Math.max(5, parseInt(form.getAttribute("data-halte-keep-alive-seconds"), 10) || 600) * 1000;
  var stopAt = Date.now() + (parseInt(form.getAttribute("data-halte-keep-alive-for-seconds"), 10) || 14400) * 1000;
  var tokenInput = form.querySelector("input[name=csrfmiddlewaretoken]");
  var last = Date.now();
  function ping() {
    if (Date.now() > stopAt) {
      return;
    }
    last = Date.now();
    var body = new FormData();
    if (tokenInput) {
      body.append("csrfmiddlewaretoken", tokenInput.value);
    }
    window.fetch(url, { method: "POST", body: body, credentials: "same-origin" }).catch(function () {});
  }
  window.setInterval(ping, every);
  document.addEventListener("visibilitychange", function () {
    // Back on the page after a while: renew at once, before the child posts.
    if (document.visibilityState === "visible" && Date.now() - last > every / 2) {
      ping();
    }
  });
})();
