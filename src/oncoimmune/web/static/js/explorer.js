/* Model explorer: sliders redraw the trajectories (one patient or a band of virtual patients). */
(function () {
  "use strict";
  var root = document.getElementById("explorer");
  if (!root) { return; }
  var model = JSON.parse(root.getAttribute("data-model"));
  var statusEl = document.getElementById("explorer-status"), chart = document.getElementById("explorer-chart");
  var legend = document.getElementById("explorer-legend");
  var pending = null, inflight = false, again = false;

  function valueOf(input) {
    var v0 = parseFloat(input.getAttribute("data-value")), s = parseFloat(input.value);
    var lo = input.getAttribute("data-lo"), hi = input.getAttribute("data-hi");
    lo = lo === "" ? -Infinity : parseFloat(lo); hi = hi === "" ? Infinity : parseFloat(hi);
    var v;
    if (v0 === 0) { v = (s + 1) / 2 * (isFinite(hi) ? hi : 1); } else { v = v0 * Math.pow(10, s); }
    return Math.min(Math.max(v, lo), hi);
  }

  function body() {
    var set = {};
    root.querySelectorAll("input.param").forEach(function (inp) {
      var out = document.getElementById("v-" + inp.getAttribute("data-name"));
      var v = valueOf(inp);
      if (out) { out.textContent = window.OI.fmt(v); }
      if (parseFloat(inp.value) !== 0) { set[inp.getAttribute("data-name")] = v; }
    });
    var escapes = {};
    root.querySelectorAll("input.escape").forEach(function (inp) {
      var name = inp.getAttribute("data-name");
      var on = document.getElementById("e-on-" + name);
      document.getElementById("ev-" + name).textContent = inp.value;
      if (on && on.checked) { escapes[name] = parseFloat(inp.value); }
    });
    var therapies = [];
    root.querySelectorAll("input.therapy").forEach(function (inp) { if (inp.checked) { therapies.push(inp.value); } });
    var custom = document.getElementById("regimen-text");
    if (custom && custom.value.trim()) { therapies.push(custom.value.trim()); }
    var patients = Math.max(1, parseInt(document.getElementById("patients").value || "1", 10));
    return {
      model: model.id, days: parseFloat(document.getElementById("days").value), set: set, escapes: escapes,
      therapies: therapies, patients: patients, cv: parseFloat(document.getElementById("cv").value || "0.2"),
      engine: patients > 1 ? "batched" : document.getElementById("engine").value, points: 201
    };
  }

  async function run() {
    if (inflight) { again = true; return; }
    inflight = true;
    var b = body(), t0 = performance.now();
    statusEl.textContent = "Solving…";
    try {
      var r = await window.OI.postJSON("/api/simulate", b);
      var rt = performance.now() - t0;
      draw(r);
      statusEl.textContent = "Status " + r.status + (r.status_reason ? " (" + r.status_reason + ")" : "") +
        (r.engine_note ? " (" + r.engine_note + ")" : "") + ". Server solve " +
        r.timing_ms.solve.toFixed(1) + " ms (" + r.engine + ", " + r.patients + " patient" + (r.patients > 1 ? "s" : "") +
        "), round trip " + rt.toFixed(0) + " ms.";
      root.setAttribute("data-drawn", String(Date.now()));
    } catch (e) {
      statusEl.textContent = "Not run: " + e.message;
    }
    inflight = false;
    if (again) { again = false; run(); }
  }

  function draw(r) {
    var series = [], names = Object.keys(r.states), keys = [];
    names.forEach(function (n, i) {
      var color = window.OI.PALETTE[i % window.OI.PALETTE.length], s = r.states[n];
      if (Array.isArray(s)) { series.push({ name: n, x: r.time, y: s, color: color }); }
      else { series.push({ name: n, x: r.time, y: s.q50, color: color, band: { lo: s.q05, hi: s.q95, lo2: s.q25, hi2: s.q75 } }); }
      keys.push(n + " (" + (r.units[n] || "") + ")");
    });
    var tu = r.time_units === "day" || !r.time_units ? "days" : "time (" + r.time_units + ")";
    window.OI.drawChart(chart, series, { log: true, xlabel: tu, ylabel: "value (log scale)" });
    legend.textContent = "";
    series.forEach(function (s, i) {
      var k = document.createElement("span"); k.className = "key"; k.style.background = s.color; legend.appendChild(k);
      legend.appendChild(document.createTextNode(" " + keys[i] + " "));
    });
  }

  function schedule() { if (pending) { clearTimeout(pending); } pending = setTimeout(run, 60); }
  root.addEventListener("input", schedule);
  root.addEventListener("change", schedule);
  document.getElementById("reset").addEventListener("click", function () {
    root.querySelectorAll("input.param").forEach(function (i) { i.value = "0"; });
    root.querySelectorAll("input.therapy, input.escape-on").forEach(function (i) { i.checked = false; });
    document.getElementById("patients").value = "1";
    document.getElementById("days").value = String(Math.round(model.default_days));
    schedule();
  });
  // SBML upload: the file's text goes to POST /api/sbml (the server's safe importer), then to its explorer page
  var up = document.getElementById("sbml-upload-button"), file = document.getElementById("sbml-file");
  var upStatus = document.getElementById("sbml-status");
  if (up && file) {
    up.addEventListener("click", async function () {
      var f = file.files && file.files[0];
      var limit = parseInt(file.getAttribute("data-max-bytes"), 10);
      if (!f) { upStatus.textContent = "Choose an SBML file first."; return; }
      if (f.size > limit) { upStatus.textContent = "Not imported: the file has " + f.size + " bytes; the limit is " + limit + "."; return; }
      upStatus.textContent = "Importing " + f.name + "…";
      try {
        var text = await f.text();
        var d = await window.OI.postJSON("/api/sbml", { sbml: text });
        upStatus.textContent = "Imported as " + d.id + "; opening it…";
        window.location.assign("/explorer?model=" + encodeURIComponent(d.id));
      } catch (e) {
        upStatus.textContent = "Not imported: " + e.message;
      }
    });
  }
  var sel = document.getElementById("model");
  if (sel) { sel.addEventListener("change", function () { document.getElementById("model-form").submit(); }); }
  run();
})();
