/* Real KEYNOTE-024 curves beside the virtual trial's (Kaplan-Meier, months). */
(function () {
  "use strict";
  var fig = document.getElementById("km");
  if (!fig) { return; }
  var chart = fig.querySelector(".chart"), status = fig.querySelector(".status");
  var ep = "pfs", real = null, virt = null;
  var COLORS = { pembrolizumab: "#1d4ed8", chemotherapy: "#b93d0a" };

  function draw() {
    var series = [];
    [[real, false], [virt, true]].forEach(function (pair) {
      var src = pair[0]; if (!src) { return; }
      var curves = pair[1] ? src[ep] : src.curves[ep];
      Object.keys(curves).forEach(function (arm) {
        var c = curves[arm];
        series.push({ name: (pair[1] ? "virtual " : "real ") + arm, x: [0].concat(c.time), y: [1].concat(c.survival),
          color: COLORS[arm] || "#374151", dash: pair[1], step: true });
      });
    });
    window.OI.drawChart(chart, series, { xlabel: "months", ylabel: "share of people (1 = everyone)", ymin: 0, ymax: 1 });
    fig.setAttribute("data-drawn", String(series.length));
  }

  async function load() {
    var missing = "The real trial's data are not installed on this server.";
    if (fig.getAttribute("data-reference") === "1") {
      try { real = await window.OI.getJSON("/api/trials/keynote024/reference"); }
      catch (e) { status.textContent = missing; }
    } else { status.textContent = missing; }
    var job = fig.getAttribute("data-job");
    if (job) {
      try { virt = await window.OI.getJSON("/api/jobs/" + job + "/km"); status.textContent = "Virtual trial: job " + job.slice(0, 8) + "."; }
      catch (e) { status.textContent = "The virtual trial's curves could not be loaded."; }
    } else if (real) { status.textContent = "No virtual trial has been run on this server yet."; }
    draw();
  }

  fig.querySelectorAll("button[data-ep]").forEach(function (b) {
    b.addEventListener("click", function () {
      ep = b.getAttribute("data-ep");
      fig.querySelectorAll("button[data-ep]").forEach(function (o) { o.setAttribute("aria-pressed", o === b ? "true" : "false"); });
      draw();
    });
  });

  var run = document.getElementById("run-virtual");
  if (run) {
    run.addEventListener("click", async function () {
      var bar = document.getElementById("virtual-progress");
      run.disabled = true;
      try {
        var job = await window.OI.postJSON("/api/jobs", { trial: "keynote024", patients: parseInt(run.getAttribute("data-patients"), 10), seed: 2016 });
        bar.hidden = false;
        var timer = setInterval(async function () {
          var j = await window.OI.getJSON("/api/jobs/" + job.id);
          bar.value = j.progress.fraction; bar.textContent = Math.round(100 * j.progress.fraction) + "%";
          status.textContent = "Virtual trial: " + j.progress.stage + " (" + j.progress.patients_done + " of " + j.progress.patients + " patients).";
          if (j.state === "done") { clearInterval(timer); fig.setAttribute("data-job", job.id); load(); }
          else if (j.state !== "queued" && j.state !== "running") { clearInterval(timer); status.textContent = "The virtual trial stopped: " + (j.error || j.state); run.disabled = false; }
        }, 1500);
      } catch (e) { status.textContent = "Not started: " + e.message; run.disabled = false; }
    });
  }
  load();
})();
