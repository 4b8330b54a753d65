// The Excel import's progress page: sizes the bar (no inline style: the CSP forbids it) and, while the import
// runs, polls the status endpoint and reloads once it has finished, to show its report.
(function () {
  var box = document.getElementById("import-progress");
  if (!box) { return; }
  var bar = box.querySelector(".progress-bar");
  var text = box.querySelector("[data-testid=progress-text]");
  bar.style.width = bar.dataset.percent + "%";
  if (!box.hasAttribute("data-poll")) { return; }
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (s) {
      var pct = s.state === "SUCCESS" ? 100 : (s.total ? Math.floor(100 * s.done / s.total) : 0);
      bar.style.width = pct + "%"; bar.textContent = pct + "%";
      box.querySelector(".progress").setAttribute("aria-valuenow", pct);
      text.textContent = "已处理 " + s.done + " / " + s.total + " 行";
      if (s.state === "SUCCESS") { window.location.reload(); } else { setTimeout(poll, 1000); }
    }).catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
