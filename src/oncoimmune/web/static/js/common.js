/* oncoimmune web: shared helpers (JSON calls, a small SVG chart). No external libraries. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function el(name, attrs, parent) {
    var e = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(e); }
    return e;
  }

  async function request(method, url, body) {
    var opts = { method: method, headers: { "accept": "application/json" } };
    if (body !== undefined) { opts.headers["content-type"] = "application/json"; opts.body = JSON.stringify(body); }
    var r = await fetch(url, opts);
    var data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (!r.ok) {
      var msg = "request failed (" + r.status + ")";
      if (data && Array.isArray(data.detail) && data.detail.length) {
        msg = (data.detail[0].field || "") + ": " + data.detail[0].msg;
      } else if (data && typeof data.detail === "string") { msg = data.detail; }
      var err = new Error(msg); err.status = r.status; throw err;
    }
    return data;
  }

  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) { return "–"; }
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e4 || a < 1e-2)) { return v.toExponential(2); }
    return (Math.round(v * 1000) / 1000).toString();
  }

  /* drawChart(container, series, opts)
     series: [{name, x, y, color, dash, band: {lo, hi, lo2, hi2}, step}]
     opts: {log: bool, xlabel, ylabel, ymin, ymax, marker: x} */
  function drawChart(container, series, opts) {
    opts = opts || {};
    var W = 640, H = 300, L = 62, R = 12, T = 12, B = 40;
    container.textContent = "";
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, "aria-hidden": "true", focusable: "false" }, container);
    var xs = [], ys = [];
    series.forEach(function (s) {
      xs = xs.concat(s.x);
      var all = s.y.slice();
      if (s.band) { ["lo", "hi", "lo2", "hi2"].forEach(function (k) { if (s.band[k]) { all = all.concat(s.band[k]); } }); }
      all.forEach(function (v) { if (v !== null && isFinite(v) && (!opts.log || v > 0)) { ys.push(v); } });
    });
    if (!xs.length || !ys.length) { return svg; }
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    var tr = opts.log ? function (v) { return Math.log10(Math.max(v, 1e-300)); } : function (v) { return v; };
    var y0 = opts.ymin !== undefined ? tr(opts.ymin) : tr(Math.min.apply(null, ys));
    var y1 = opts.ymax !== undefined ? tr(opts.ymax) : tr(Math.max.apply(null, ys));
    if (opts.log) {
      y0 = Math.floor(y0); y1 = Math.ceil(y1);
      if (y1 - y0 > 14) { y0 = y1 - 14; }
    }
    if (y1 === y0) { y1 = y0 + 1; }
    if (x1 === x0) { x1 = x0 + 1; }
    var sx = function (x) { return L + (x - x0) / (x1 - x0) * (W - L - R); };
    var sy = function (v) {
      var t = tr(v); if (t < y0) { t = y0; } if (t > y1) { t = y1; }
      return T + (1 - (t - y0) / (y1 - y0)) * (H - T - B);
    };
    // grid and ticks
    var g = el("g", {}, svg);
    var yt = [];
    if (opts.log) { var step = Math.max(1, Math.ceil((y1 - y0) / 7)); for (var k = y0; k <= y1; k += step) { yt.push(Math.pow(10, k)); } }
    else { for (var i = 0; i <= 5; i++) { yt.push(y0 + (y1 - y0) * i / 5); } }
    yt.forEach(function (v) {
      var y = sy(v);
      el("line", { x1: L, x2: W - R, y1: y, y2: y, stroke: "#d5dae0", "stroke-width": 1 }, g);
      var t = el("text", { x: L - 6, y: y + 4, "text-anchor": "end" }, g);
      t.textContent = opts.log ? "1e" + Math.round(Math.log10(v)) : fmt(v);
    });
    for (var j = 0; j <= 5; j++) {
      var xv = x0 + (x1 - x0) * j / 5, x = sx(xv);
      el("line", { x1: x, x2: x, y1: T, y2: H - B, stroke: "#eceff2", "stroke-width": 1 }, g);
      var tx = el("text", { x: x, y: H - B + 16, "text-anchor": "middle" }, g);
      tx.textContent = fmt(xv);
    }
    el("line", { x1: L, x2: L, y1: T, y2: H - B, stroke: "#1b1b1b" }, g);
    el("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "#1b1b1b" }, g);
    if (opts.xlabel) { var xl = el("text", { x: (L + W - R) / 2, y: H - 6, "text-anchor": "middle" }, g); xl.textContent = opts.xlabel; }
    if (opts.ylabel) { var yl = el("text", { x: 12, y: (T + H - B) / 2, transform: "rotate(-90 12 " + (T + H - B) / 2 + ")", "text-anchor": "middle" }, g); yl.textContent = opts.ylabel; }
    function path(x, y, stepped) {
      var d = "", pen = false, prev = null;
      for (var i = 0; i < x.length; i++) {
        var v = y[i];
        if (v === null || !isFinite(v) || (opts.log && v <= 0)) { pen = false; continue; }
        if (stepped && pen && prev !== null) { d += "L" + sx(x[i]).toFixed(1) + " " + sy(prev).toFixed(1); }
        d += (pen ? "L" : "M") + sx(x[i]).toFixed(1) + " " + sy(v).toFixed(1);
        pen = true; prev = v;
      }
      return d;
    }
    function area(x, lo, hi) {
      var d = "", i;
      for (i = 0; i < x.length; i++) { if (hi[i] === null) { continue; } d += (d ? "L" : "M") + sx(x[i]).toFixed(1) + " " + sy(hi[i]).toFixed(1); }
      for (i = x.length - 1; i >= 0; i--) { if (lo[i] === null) { continue; } d += "L" + sx(x[i]).toFixed(1) + " " + sy(lo[i]).toFixed(1); }
      return d + "Z";
    }
    series.forEach(function (s) {
      if (s.band) {
        if (s.band.lo && s.band.hi) { el("path", { d: area(s.x, s.band.lo, s.band.hi), fill: s.color, "fill-opacity": 0.15, stroke: "none" }, svg); }
        if (s.band.lo2 && s.band.hi2) { el("path", { d: area(s.x, s.band.lo2, s.band.hi2), fill: s.color, "fill-opacity": 0.25, stroke: "none" }, svg); }
      }
      var attrs = { d: path(s.x, s.y, s.step), fill: "none", stroke: s.color, "stroke-width": s.width || 2.2 };
      if (s.dash) { attrs["stroke-dasharray"] = "6 4"; }
      var p = el("path", attrs, svg);
      p.setAttribute("data-series", s.name);
    });
    if (opts.marker !== undefined) {
      el("line", { x1: sx(opts.marker), x2: sx(opts.marker), y1: T, y2: H - B, stroke: "#1b1b1b", "stroke-dasharray": "3 3", "class": "marker" }, svg);
    }
    return svg;
  }

  var PALETTE = ["#1d4ed8", "#b93d0a", "#146c2e", "#7c2d92", "#8a5a00", "#0f766e", "#a4161a", "#374151"];
  window.OI = { request: request, getJSON: function (u) { return request("GET", u); },
    postJSON: function (u, b) { return request("POST", u, b); }, drawChart: drawChart, fmt: fmt, PALETTE: PALETTE };
})();
