/* Virtual-trial jobs: start one, follow its progress, cancel it. */
(function () {
  "use strict";
  var form = document.getElementById("job-form");
  if (form) {
    form.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      var err = document.getElementById("job-error");
      err.hidden = true;
      try {
        var job = await window.OI.postJSON("/api/jobs", {
          trial: form.trial.value, patients: parseInt(form.patients.value, 10), seed: parseInt(form.seed.value, 10)
        });
        window.location.href = "/jobs/" + job.id;
      } catch (e) { err.textContent = "Not started: " + e.message; err.hidden = false; }
    });
    var rows = document.querySelectorAll("#jobs-table tr[data-job]");
    setInterval(function () {
      rows.forEach(async function (row) {
        var st = row.querySelector(".state");
        if (st.textContent !== "queued" && st.textContent !== "running") { return; }
        try {
          var j = await window.OI.getJSON("/api/jobs/" + row.getAttribute("data-job"));
          st.textContent = j.state;
          var p = row.querySelector("progress"); p.value = j.progress.fraction; p.textContent = Math.round(100 * j.progress.fraction) + "%";
        } catch (e) { /* keep polling */ }
      });
    }, 1500);
  }
  var page = document.getElementById("job");
  if (page) {
    var id = page.getAttribute("data-job");
    var cancel = document.getElementById("cancel");
    if (cancel) {
      cancel.addEventListener("click", async function () {
        await window.OI.request("DELETE", "/api/jobs/" + id);
        window.location.reload();
      });
    }
    var state = page.getAttribute("data-state");
    if (state === "queued" || state === "running") {
      var timer = setInterval(async function () {
        try {
          var j = await window.OI.getJSON("/api/jobs/" + id);
          var p = document.getElementById("job-progress");
          p.value = j.progress.fraction; p.textContent = Math.round(100 * j.progress.fraction) + "%";
          page.querySelector(".state").textContent = j.state;
          page.querySelector(".stage").textContent = j.progress.stage;
          if (j.state !== "queued" && j.state !== "running") { clearInterval(timer); window.location.reload(); }
        } catch (e) { /* keep polling */ }
      }, 1000);
    }
  }
})();
