// The office's command page: poll the command's status until it is final (indexed or failed).
(function () {
  "use strict";
  var box = document.getElementById("command");
  if (!box || box.dataset.final === "true") { return; }
  var statusEl = document.getElementById("command-status");
  var errorEl = document.getElementById("command-error");
  var hintEl = document.getElementById("command-hint");
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) { setTimeout(poll, 5000); return; }
        statusEl.textContent = s.status_text;
        statusEl.className = "command-" + s.status;
        errorEl.textContent = s.error_text;
        if (s.status === "indexed" || s.status === "failed") {
          box.dataset.final = "true";
          hintEl.textContent = s.status === "indexed" ? "已写入链上账本并完成入账。" : "";
        } else {
          setTimeout(poll, 2000);
        }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
