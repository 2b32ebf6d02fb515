/* The animated picture: white cells and cancer cells, driven by a model simulated on the server. */
(function () {
  "use strict";
  function rng(seed) { var s = seed >>> 0; return function () { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; }; }
  var IMMUNE = "#1d4ed8", TUMOUR = "#b93d0a";

  function sum(states, names, i) {
    var t = 0;
    names.forEach(function (n) { var v = states[n] ? states[n][i] : 0; if (v !== null && isFinite(v)) { t += v; } });
    return t;
  }

  function Fight(fig) {
    this.fig = fig;
    this.base = JSON.parse(fig.getAttribute("data-scenario"));
    this.canvas = fig.querySelector("canvas.arena");
    this.ctx = this.canvas.getContext("2d");
    this.slider = fig.querySelector("input.day");
    this.out = fig.querySelector("output.dayout");
    this.caption = fig.querySelector(".caption");
    this.chart = fig.querySelector(".chart");
    this.button = fig.querySelector("button.play");
    this.escapes = Object.assign({}, this.base.escapes || {});
    this.therapies = (this.base.therapies || []).slice();
    this.data = null; this.i = 0; this.timer = null;
    var r = rng(7), self = this;
    this.spots = [];
    for (var k = 0; k < 400; k++) { this.spots.push([r(), r(), r()]); }
    this.slider.addEventListener("input", function () { self.show(parseInt(self.slider.value, 10)); });
    this.button.addEventListener("click", function () { self.toggle(); });
  }

  Fight.prototype.load = async function () {
    var b = this.base, body = { model: b.model, escapes: this.escapes, therapies: this.therapies, points: 201 };
    if (b.days) { body.days = b.days; }
    this.caption.textContent = "Working out the fight…";
    try {
      this.data = await window.OI.postJSON("/api/simulate", body);
    } catch (e) { this.caption.textContent = "Sorry, the model could not run: " + e.message; return; }
    var n = this.data.time.length;
    this.imm = []; this.tum = [];
    for (var i = 0; i < n; i++) { this.imm.push(sum(this.data.states, b.immune, i)); this.tum.push(sum(this.data.states, b.tumour, i)); }
    var all = this.imm.concat(this.tum).filter(function (v) { return v > 0; });
    this.lmax = Math.log10(Math.max.apply(null, all.concat([1])));
    this.lmin = Math.max(this.lmax - 8, Math.log10(Math.max(Math.min.apply(null, all.concat([1])), 1e-12)));
    this.slider.max = String(n - 1);
    this.fig.setAttribute("data-loaded", "1");
    this.show(Math.min(this.i, n - 1));
  };

  Fight.prototype.dots = function (v) {
    if (!(v > 0)) { return 0; }
    var f = (Math.log10(v) - this.lmin) / (this.lmax - this.lmin || 1);
    return Math.max(0, Math.min(160, Math.round(160 * f)));
  };

  Fight.prototype.describe = function (i) {
    var t = this.tum, n = t.length, lab = this.base.tumour_label || "cancer cells";
    var max = Math.max.apply(null, t), now = t[i], before = t[Math.max(0, i - 5)];
    var day = Math.round(this.data.time[i]);
    var s = "Day " + day + ": ";
    if (now < 1) { return s + "the " + lab + " are gone in the model."; }
    if (now > 0.8 * max && i > n * 0.3 && Math.abs(now - before) < 0.05 * now) { return s + "the " + lab + " have taken over. They stay at their largest size."; }
    if (now > before * 1.05) { return s + "the " + lab + " are growing."; }
    if (now < before * 0.95) { return s + "the white cells are winning: the " + lab + " are shrinking."; }
    return s + "the two sides are balanced. The " + lab + " stay about the same (held in check).";
  };

  Fight.prototype.show = function (i) {
    if (!this.data) { return; }
    this.i = i; this.slider.value = String(i);
    var day = this.data.time[i];
    this.out.textContent = String(Math.round(day));
    var c = this.ctx, W = this.canvas.width, H = this.canvas.height;
    c.clearRect(0, 0, W, H);
    var nt = this.dots(this.tum[i]), ni = this.dots(this.imm[i]);
    var rad = 30 + 95 * Math.sqrt(nt / 160);
    for (var k = 0; k < nt; k++) {
      var sp = this.spots[k], a = sp[0] * 2 * Math.PI, r = rad * Math.sqrt(sp[1]);
      c.beginPath(); c.fillStyle = TUMOUR;
      c.arc(W / 2 + r * Math.cos(a), H / 2 + r * Math.sin(a), 6, 0, 2 * Math.PI); c.fill();
    }
    for (var m = 0; m < ni; m++) {
      var q = this.spots[200 + m], ang = q[0] * 2 * Math.PI + day / 40, rr = rad + 12 + (q[1] * 0.5 + 0.1) * Math.min(W, H) * 0.35;
      var x = W / 2 + rr * Math.cos(ang), y = H / 2 + 0.7 * rr * Math.sin(ang);
      c.beginPath(); c.fillStyle = IMMUNE; c.strokeStyle = "#ffffff";
      c.arc(x, y, 4.5, 0, 2 * Math.PI); c.fill(); c.stroke();
    }
    this.caption.textContent = this.describe(i);
    window.OI.drawChart(this.chart, [
      { name: "immune", x: this.data.time, y: this.imm, color: IMMUNE },
      { name: "tumour", x: this.data.time, y: this.tum, color: TUMOUR }
    ], { log: true, xlabel: "days", ylabel: "cells (log scale)", marker: day });
  };

  Fight.prototype.toggle = function () {
    var self = this;
    if (this.timer) { clearInterval(this.timer); this.timer = null; this.button.textContent = "Play"; this.button.setAttribute("aria-pressed", "false"); return; }
    if (!this.data) { return; }
    if (this.i >= this.data.time.length - 1) { this.i = 0; }
    this.button.textContent = "Pause"; this.button.setAttribute("aria-pressed", "true");
    this.timer = setInterval(function () {
      if (self.i >= self.data.time.length - 1) { self.toggle(); return; }
      self.show(self.i + 1);
    }, 60);
  };

  var fights = {};
  document.querySelectorAll("figure.fight").forEach(function (fig) {
    var f = new Fight(fig); fights[fig.id] = f; f.load();
  });
  // escape switches (escape page): every checked box adds its mechanism at its strength
  var toggles = document.querySelectorAll("#escape-toggles input[type=checkbox]");
  toggles.forEach(function (box) {
    box.addEventListener("change", function () {
      var f = fights.fight; if (!f) { return; }
      f.escapes = {};
      toggles.forEach(function (b) { if (b.checked) { f.escapes[b.value] = parseFloat(b.getAttribute("data-strength")); } });
      f.load();
    });
  });
  // treatment switches (treatments page)
  document.querySelectorAll("input.treat").forEach(function (box) {
    box.addEventListener("change", function () {
      var f = fights[box.getAttribute("data-target")]; if (!f) { return; }
      f.therapies = box.checked ? (f.base.therapies || []).slice() : [];
      f.load();
    });
  });
})();
