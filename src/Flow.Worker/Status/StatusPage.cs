namespace Flow.Worker.Status;

/// <summary>
/// The status page at <c>/</c>: one self-contained HTML file (inline CSS, JS and SVG; nothing from
/// the network) that reads <c>/api/status</c> every second and draws each pipeline's DAG, layered left
/// to right, each node with its live counts. Every node is an SVG group with <c>data-node</c> and its
/// counts as <c>data-*</c> attributes, so a browser test (and a curious operator) can read them.
/// </summary>
internal static class StatusPage
{
    public const string Html = """
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>flow status</title>
<style>
  body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 1.5em; color: #222; background: #fafafa; }
  h1 { font-size: 1.3em; margin: 0 0 .3em; }
  h2 { font-size: 1.1em; margin: 1.2em 0 .3em; }
  #state { color: #555; margin-bottom: .5em; }
  .ready { color: #2e7d32; font-weight: 600; }
  .notready { color: #b26a00; font-weight: 600; }
  svg { background: #fff; border: 1px solid #ddd; border-radius: 6px; }
  .node rect { stroke-width: 1.5; rx: 6; ry: 6; }
  .source rect { fill: #e3f2fd; stroke: #1565c0; }
  .step rect { fill: #f3e5f5; stroke: #6a1b9a; }
  .sink rect { fill: #e8f5e9; stroke: #2e7d32; }
  .node.failing rect { stroke: #c62828; stroke-width: 2.5; }
  .node text { font-size: 12px; fill: #222; }
  .node text.title { font-weight: 600; font-size: 13px; }
  .node text.type { fill: #666; font-style: italic; }
  .edge { fill: none; stroke: #888; stroke-width: 1.5; marker-end: url(#arrow); }
  .edge.failures { stroke: #c9302c; stroke-dasharray: 5 4; }
  .pipeline-meta { color: #555; }
</style>
</head>
<body>
<h1>flow</h1>
<div id="state">connecting…</div>
<div id="pipelines"></div>
<script>
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var W = 210, H = 92, GAPX = 60, GAPY = 24, PAD = 16;
  var last = {};      // "pipeline/node" -> { t, records } of the previous poll, for records/s
  var drawn = {};     // pipeline -> shape key of what is drawn

  function el(name, attrs, parent) {
    var e = document.createElementNS(SVG, name);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (parent) { parent.appendChild(e); }
    return e;
  }

  function text(parent, x, y, cls) {
    var t = el("text", { x: x, y: y }, parent);
    if (cls) { t.setAttribute("class", cls); }
    return t;
  }

  function layout(p) {
    var columns = {}, pos = {};
    p.nodes.forEach(function (n) {
      var c = columns[n.layer] = columns[n.layer] || [];
      pos[n.name] = { x: PAD + n.layer * (W + GAPX), y: PAD + c.length * (H + GAPY) };
      c.push(n);
    });
    var width = 0, height = 0;
    Object.keys(pos).forEach(function (k) {
      width = Math.max(width, pos[k].x + W + PAD);
      height = Math.max(height, pos[k].y + H + PAD);
    });
    return { pos: pos, width: width, height: height };
  }

  function draw(container, p) {
    container.textContent = "";
    var h = document.createElement("h2");
    h.textContent = "pipeline " + p.name;
    container.appendChild(h);
    var meta = document.createElement("div");
    meta.className = "pipeline-meta";
    container.appendChild(meta);
    var l = layout(p);
    var svg = el("svg", { width: l.width, height: l.height, viewBox: "0 0 " + l.width + " " + l.height, "data-pipeline": p.name }, container);
    var defs = el("defs", {}, svg);
    var marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
    el("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#888" }, marker);
    p.nodes.forEach(function (n) {
      n.inputs.forEach(function (input) {
        var a = l.pos[input], b = l.pos[n.name];
        if (!a || !b) { return; }
        var x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
        el("path", { "class": "edge", d: "M " + x1 + " " + y1 + " C " + mx + " " + y1 + ", " + mx + " " + y2 + ", " + x2 + " " + y2, "data-from": input, "data-to": n.name }, svg);
      });
      (n.errorsFrom || []).forEach(function (producer) {
        var a = l.pos[producer], b = l.pos[n.name];
        if (!a || !b) { return; }
        var x1 = a.x + W / 2, y1 = a.y + H, x2 = b.x, y2 = b.y + H / 2;
        el("path", { "class": "edge failures", d: "M " + x1 + " " + y1 + " C " + x1 + " " + y2 + ", " + x1 + " " + y2 + ", " + x2 + " " + y2, "data-from": producer, "data-to": n.name }, svg);
      });
    });
    p.nodes.forEach(function (n) {
      var at = l.pos[n.name];
      var g = el("g", { "class": "node " + n.kind, transform: "translate(" + at.x + "," + at.y + ")", "data-node": n.name, "data-kind": n.kind }, svg);
      el("rect", { width: W, height: H }, g);
      text(g, 10, 18, "title").textContent = n.name;
      text(g, 10, 33, "type").textContent = n.type;
      text(g, 10, 51, "io");
      text(g, 10, 67, "cache");
      text(g, 10, 83, "rate");
    });
  }

  function fmt(n) { return Number(n).toLocaleString("en-US"); }

  function update(container, p, now) {
    var meta = container.querySelector(".pipeline-meta");
    meta.textContent = p.status + " · " + (p.elapsedMs / 1000).toFixed(1) + " s";
    p.nodes.forEach(function (n) {
      var g = container.querySelector('g[data-node="' + CSS.escape(n.name) + '"]');
      if (!g) { return; }
      var key = p.name + "/" + n.name;
      var records = n.kind === "source" ? n.recordsOut : n.recordsIn;
      var prev = last[key], rate = 0;
      if (prev && now > prev.t) { rate = Math.max(0, (records - prev.records) * 1000 / (now - prev.t)); }
      last[key] = { t: now, records: records };
      var errors = n.cacheErrors + n.failedBatches + n.errorsRouted;
      ["batches", "recordsIn", "recordsOut", "hits", "misses", "cacheErrors", "failedBatches", "errorsRouted", "inFlight"].forEach(function (f) {
        g.setAttribute("data-" + f.replace(/[A-Z]/g, function (c) { return "-" + c.toLowerCase(); }), n[f]);
      });
      g.setAttribute("data-errors", errors);
      g.setAttribute("data-rate", Math.round(rate));
      g.classList.toggle("failing", errors > 0);
      var t = g.querySelectorAll("text");
      t[2].textContent = "in " + fmt(n.recordsIn) + " · out " + fmt(n.recordsOut);
      t[3].textContent = n.kind === "step"
        ? "hits " + fmt(n.hits) + " · misses " + fmt(n.misses) + " · errors " + fmt(errors)
        : "batches " + fmt(n.batches) + (errors > 0 ? " · errors " + fmt(errors) : "");
      t[4].textContent = fmt(Math.round(rate)) + " records/s" + (n.inFlight > 0 ? " · " + n.inFlight + " in flight" : "");
    });
  }

  function render(status) {
    var state = document.getElementById("state");
    state.textContent = "";
    var s = document.createElement("span");
    s.className = status.ready ? "ready" : "notready";
    s.textContent = status.ready ? "ready" : "not ready";
    state.appendChild(s);
    state.appendChild(document.createTextNode(" · updated " + new Date().toLocaleTimeString()));
    var root = document.getElementById("pipelines");
    var now = Date.now();
    status.pipelines.forEach(function (p) {
      var id = "pipeline-" + p.name;
      var container = document.getElementById(id);
      if (!container) {
        container = document.createElement("section");
        container.id = id;
        root.appendChild(container);
      }
      var shape = JSON.stringify(p.nodes.map(function (n) { return [n.name, n.layer, n.inputs, n.errorsFrom]; }));
      if (drawn[p.name] !== shape) { draw(container, p); drawn[p.name] = shape; }
      update(container, p, now);
    });
  }

  function poll() {
    fetch("/api/status", { cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(render)
      .catch(function (e) { document.getElementById("state").textContent = "flow is not answering (" + e + ")"; });
  }

  poll();
  setInterval(poll, 1000);
})();
</script>
</body>
</html>
""";
}
