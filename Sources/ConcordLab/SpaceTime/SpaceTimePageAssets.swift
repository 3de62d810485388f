/// The fixed parts of ``SpaceTimePage``: its style sheet, the controls and
/// legend above the drawing, and the script that draws the run.
///
/// The script reads the JSON in `#run-data`:
/// - `nodes`: node ids, one line each, in order;
/// - `messages`: `[from, to, sentAt, endedAt|null, fate, flags, text]`, fate
///   `d` delivered, `l` lost, `b` blocked at a partition, `r` receiver down,
///   `f` in flight at the end; flags 1 duplicate, 2 delayed, 4 held by a pause;
/// - `events`: `[time, node|null, kind, text, groups?]` (kinds as in
///   `RecordedEvent.Kind`);
/// - `operations`: `[id, process, node|null, invokedAt, completedAt|null,
///   outcome, label, offending]`;
/// - `end`: the last time of the run. Times are nanoseconds of true time.
enum SpaceTimePageAssets {
    static let style = #"""
        body{font:13px/1.4 system-ui,-apple-system,sans-serif;margin:16px;color:#222}
        h1{font-size:17px;margin:0 0 4px}h2{font-size:15px;margin:18px 0 6px}
        .summary{margin:0 0 8px;color:#555}.meta{color:#555;font-size:12px}.note{background:#fdf3d9;padding:6px 10px}
        .verdict{padding:6px 10px;border-radius:4px;font-size:14px}.verdict.pass{background:#e3f4e3;color:#165c16}
        .verdict.fail{background:#fbe3e3;color:#8a1212}
        .controls{position:sticky;top:0;background:#fff;padding:6px 0;z-index:2;border-bottom:1px solid #ddd}
        .controls button{min-width:30px}.controls input[type=search]{width:260px}.controls label{margin-left:8px}
        #window{margin-left:10px;color:#555}#matches{margin-left:6px;color:#555}
        .legend{font-size:11px;color:#444;margin:6px 0}.legend span{margin-right:12px;white-space:nowrap}
        .sw{display:inline-block;width:18px;height:9px;vertical-align:middle;margin-right:3px;border:1px solid #888}
        #chart{width:100%;overflow:hidden;border:1px solid #ddd;cursor:grab;user-select:none}
        svg text{font-size:11px;fill:#333}
        .lane-label{font-weight:600}.node-line{stroke:#555;stroke-width:1.2}.lane-alt{fill:#fafafa}
        .axis-line{stroke:#ccc}.axis-text{fill:#777}
        .down{fill:#f4c7c3;opacity:.8}.paused{fill:#cfcfcf;opacity:.7}
        .partition{fill:#fff3b0;opacity:.55}.block{fill:#ffe0b2;opacity:.45}.band-label{fill:#8a6d00;font-size:10px}
        .msg{stroke:#3b6fb6;stroke-width:1;fill:none;opacity:.75}.msg.dup{stroke:#8e44ad}.msg.delayed{stroke:#e08a00;stroke-dasharray:5 3}
        .msg.held{stroke:#6d4c41;stroke-dasharray:2 2}.msg.lost,.msg.blocked,.msg.dropped{stroke:#c62828}.msg.inflight{stroke:#999;stroke-dasharray:3 3}
        .x{fill:#c62828;font-weight:700;font-size:12px}
        .mark-crash{fill:#c62828}.mark-boot{fill:#2e7d32}.mark-pause,.mark-resume{fill:#616161}.mark-clock{fill:#e08a00}
        .mark-timer{stroke:#aaa}.mark-durable{fill:#00897b}.mark-log{fill:#37474f}.mark-net{fill:#8a6d00}
        .op{stroke-width:1}.op.ok{fill:#c8e6c9;stroke:#2e7d32}.op.fail{fill:#eeeeee;stroke:#9e9e9e}
        .op.info{fill:#fdf0d5;stroke:#c98a12;stroke-dasharray:4 2}.op.open{fill:#e3ecf7;stroke:#4a78b5;stroke-dasharray:2 2}
        .op.offending{fill:#ef9a9a;stroke:#b71c1c;stroke-width:2.5}.op-text{font-size:10px;pointer-events:none}
        .hit{stroke:#ff00c8 !important;stroke-width:3 !important;opacity:1 !important}text.hit{fill:#ff00c8 !important}
        .mark-log.hit,.mark-durable.hit,.mark-clock.hit,.mark-crash.hit,.mark-boot.hit{fill:#ff00c8}
        table{border-collapse:collapse;font-size:12px}td{padding:1px 8px;border-bottom:1px solid #eee;vertical-align:top}
        tr.row{cursor:pointer}tr.row:hover{background:#f0f6ff}td.time{font-family:monospace;white-space:nowrap;color:#555}
        pre{background:#f6f6f6;padding:8px;font-size:11px;max-height:400px;overflow:auto}
        """#

    static let body = #"""
        <div class="controls">
        <button id="zoom-in" title="zoom in">+</button><button id="zoom-out" title="zoom out">−</button>
        <button id="zoom-reset">whole run</button>
        <input id="search" type="search" placeholder="search events, messages, operations (e.g. crash, n3, put)">
        <span id="matches"></span>
        <label><input type="checkbox" id="show-logs" checked> logs</label>
        <label><input type="checkbox" id="show-timers"> timers</label>
        <label><input type="checkbox" id="show-durable"> durable</label>
        <span id="window"></span>
        </div>
        <div class="legend">
        <span><i class="sw" style="background:#3b6fb6"></i>delivered</span>
        <span><i class="sw" style="background:#8e44ad"></i>duplicated</span>
        <span><i class="sw" style="background:#e08a00"></i>delayed (reordered)</span>
        <span><i class="sw" style="background:#6d4c41"></i>held by a pause</span>
        <span><i class="sw" style="background:#c62828"></i>lost or dropped (×)</span>
        <span><i class="sw" style="background:#f4c7c3"></i>crashed</span>
        <span><i class="sw" style="background:#cfcfcf"></i>paused</span>
        <span><i class="sw" style="background:#fff3b0"></i>partition</span>
        <span><i class="sw" style="background:#ffe0b2"></i>blocked link</span>
        <span><i class="sw" style="background:#c8e6c9"></i>op ok</span>
        <span><i class="sw" style="background:#eeeeee"></i>op fail</span>
        <span><i class="sw" style="background:#fdf0d5"></i>op info</span>
        <span><i class="sw" style="background:#e3ecf7"></i>op open</span>
        <span><i class="sw" style="background:#ef9a9a;border-color:#b71c1c"></i>blamed by the checker</span>
        <span>wheel or buttons: zoom · drag: pan · click a row below: go there</span>
        </div>
        <div id="chart"><svg id="diagram" xmlns="http://www.w3.org/2000/svg" width="1200" height="100"></svg></div>
        <p id="drawn" class="meta"></p>
        <h2 id="list-title">Faults and blamed operations</h2>
        <div id="event-list"></div>

        """#

    static let script = #"""
        (function () {
        "use strict";
        var data = JSON.parse(document.getElementById("run-data").textContent);
        var NS = "http://www.w3.org/2000/svg";
        var svg = document.getElementById("diagram"), chart = document.getElementById("chart");
        var laneHeight = 44, gutter = 110, top = 26, arrowsMax = 4000, marksMax = 6000, listMax = 400;
        var end = Math.max(1, data.end);
        var lanes = [], laneOf = {};
        data.nodes.forEach(function (id) { laneOf["n" + id] = lanes.length; lanes.push({ key: "n" + id, label: "n" + id, node: true }); });
        data.operations.forEach(function (o) {
          if (o[2] === null && laneOf["p" + o[1]] === undefined) {
            laneOf["p" + o[1]] = lanes.length; lanes.push({ key: "p" + o[1], label: "process " + o[1], node: false });
          }
        });
        function laneY(key) { return top + laneOf[key] * laneHeight + laneHeight / 2; }
        function nodeY(id) { return laneOf["n" + id] === undefined ? null : laneY("n" + id); }
        var view = { t0: -end * 0.01, t1: end * 1.02 };
        var query = "";

        // Intervals: down (crash to boot), paused (pause to resume or crash), partitions and blocks.
        var down = [], paused = [], bands = [];
        (function () {
          var downSince = {}, pausedSince = {}, open = [];
          data.events.forEach(function (e) {
            var t = e[0], n = e[1], k = e[2];
            if (k === "crash") {
              downSince[n] = t;
              if (pausedSince[n] !== undefined) { paused.push([n, pausedSince[n], t]); delete pausedSince[n]; }
            } else if (k === "boot" && downSince[n] !== undefined) { down.push([n, downSince[n], t]); delete downSince[n]; }
            else if (k === "pause") { pausedSince[n] = t; }
            else if (k === "resume" && pausedSince[n] !== undefined) { paused.push([n, pausedSince[n], t]); delete pausedSince[n]; }
            else if (k === "partition" || k === "heal") {
              open.forEach(function (b) { b.t1 = t; bands.push(b); }); open = [];
              if (k === "partition") open.push({ kind: "partition", t0: t, t1: end, text: e[3], groups: e[4] || [] });
            } else if (k === "block") { open.push({ kind: "block", t0: t, t1: end, text: e[3], groups: e[4] || [] }); }
          });
          Object.keys(downSince).forEach(function (n) { down.push([+n, downSince[n], end]); });
          Object.keys(pausedSince).forEach(function (n) { paused.push([+n, pausedSince[n], end]); });
          open.forEach(function (b) { b.t1 = end; bands.push(b); });
        })();

        function seconds(t) { return (t / 1e9).toFixed(6) + "s"; }
        function el(name, attrs, parent, title) {
          var node = document.createElementNS(NS, name);
          for (var key in attrs) node.setAttribute(key, attrs[key]);
          if (title) { var tt = document.createElementNS(NS, "title"); tt.textContent = title; node.appendChild(tt); }
          (parent || svg).appendChild(node);
          return node;
        }
        function matches(text) { return query !== "" && text.toLowerCase().indexOf(query) >= 0; }
        function messageText(m) { return "n" + m[0] + "->n" + m[1] + " " + m[6]; }
        function eventText(e) {
          var text = e[3].indexOf(e[2]) === 0 ? e[3] : e[2] + " " + e[3];
          return (e[1] === null ? "" : "n" + e[1] + " ") + text;
        }

        function draw() {
          while (svg.firstChild) svg.removeChild(svg.firstChild);
          var width = Math.max(600, chart.clientWidth || 1200);
          var height = top + lanes.length * laneHeight + 8;
          svg.setAttribute("width", width); svg.setAttribute("height", height);
          svg.setAttribute("viewBox", "0 0 " + width + " " + height);
          var plot = width - gutter - 10, span = view.t1 - view.t0;
          function X(t) { return gutter + (t - view.t0) / span * plot; }
          function visible(a, b) { return b >= view.t0 && a <= view.t1; }
          var defs = el("defs", {});
          var marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" }, defs);
          el("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#3b6fb6" }, marker);
          var clip = el("clipPath", { id: "plot-clip" }, defs);
          el("rect", { x: gutter, y: 0, width: plot, height: height }, clip);

          // Lanes and their labels.
          lanes.forEach(function (lane, i) {
            if (i % 2 === 1) el("rect", { "class": "lane-alt", x: 0, y: top + i * laneHeight, width: width, height: laneHeight });
            var label = el("text", { "class": "lane-label", x: 8, y: laneY(lane.key) + 4 });
            label.textContent = lane.label;
          });
          // Time axis.
          var step = Math.pow(10, Math.floor(Math.log10(span / 8)));
          [1, 2, 5, 10].some(function (f) { if (span / (step * f) <= 10) { step *= f; return true; } return false; });
          var g = el("g", { "clip-path": "url(#plot-clip)" });
          for (var t = Math.ceil(view.t0 / step) * step; t <= view.t1; t += step) {
            el("line", { "class": "axis-line", x1: X(t), x2: X(t), y1: top - 6, y2: height }, g);
            var label = el("text", { "class": "axis-text", x: X(t) + 2, y: 12 }, g);
            label.textContent = step >= 1e8 ? (t / 1e9).toFixed(1) + "s" : step >= 1e6 ? (t / 1e6).toFixed(0) + "ms" : (t / 1e3).toFixed(0) + "µs";
          }
          // Partitions and blocked links, across every lane.
          bands.forEach(function (b, index) {
            if (!visible(b.t0, b.t1)) return;
            var left = Math.max(X(b.t0), gutter), right = Math.min(X(b.t1), gutter + plot);
            el("rect", { "class": b.kind, x: X(b.t0), y: top, width: Math.max(1, X(b.t1) - X(b.t0)), height: lanes.length * laneHeight }, g,
              seconds(b.t0) + "–" + seconds(b.t1) + ": " + b.text);
            // Labels take turns on three rows and are cut to their band's width.
            var room = Math.floor((right - left - 4) / 5.5);
            if (room < 4) return;
            var text = el("text", { "class": "band-label" + (matches(b.text) ? " hit" : ""), x: left + 2, y: top + 9 + (index % 3) * 10 }, g);
            text.textContent = b.text.length > room ? b.text.slice(0, room - 1) + "…" : b.text;
          });
          // Crashed and paused stretches of each node.
          down.forEach(function (d) {
            var y = nodeY(d[0]); if (y === null || !visible(d[1], d[2])) return;
            el("rect", { "class": "down", x: X(d[1]), y: y - 14, width: Math.max(2, X(d[2]) - X(d[1])), height: 28 }, g, "n" + d[0] + " down " + seconds(d[1]) + "–" + seconds(d[2]));
          });
          paused.forEach(function (d) {
            var y = nodeY(d[0]); if (y === null || !visible(d[1], d[2])) return;
            el("rect", { "class": "paused", x: X(d[1]), y: y - 10, width: Math.max(2, X(d[2]) - X(d[1])), height: 20 }, g, "n" + d[0] + " paused " + seconds(d[1]) + "–" + seconds(d[2]));
          });
          // One line per node.
          var nodeLines = 0;
          lanes.forEach(function (lane) {
            if (!lane.node) return;
            el("line", { "class": "node-line", "data-node": lane.label, x1: Math.max(gutter, X(0)), x2: Math.min(gutter + plot, X(end)), y1: laneY(lane.key), y2: laneY(lane.key) }, g);
            nodeLines += 1;
          });
          // Client operations, as bars under their node's line.
          var operationsDrawn = 0;
          data.operations.forEach(function (o) {
            var ended = o[4] === null ? end : o[4];
            if (!visible(o[3], ended)) return;
            var key = o[2] === null ? "p" + o[1] : "n" + o[2];
            if (laneOf[key] === undefined) return;
            var y = laneY(key) + (o[2] === null ? -6 : 4);
            var x = X(o[3]), w = Math.max(3, X(ended) - x);
            var text = "operation " + o[0] + ", process " + o[1] + ", " + o[5] + (o[7] ? ", BLAMED by the checker" : "") + ", " + seconds(o[3]) + "–" + (o[4] === null ? "end" : seconds(o[4])) + ": " + o[6];
            el("rect", { "class": "op " + o[5] + (o[7] ? " offending" : "") + (matches(o[6]) ? " hit" : ""), "data-op": o[0], x: x, y: y, width: w, height: 12, rx: 2 }, g, text);
            if (w > 40) {
              var label = el("text", { "class": "op-text", x: x + 2, y: y + 10 }, g);
              label.textContent = o[6].length * 5.5 > w - 4 ? o[6].slice(0, Math.max(1, Math.floor((w - 4) / 5.5) - 1)) + "…" : o[6];
            }
            operationsDrawn += 1;
          });
          // Messages.
          var inView = [];
          data.messages.forEach(function (m) { var e = m[3] === null ? end : m[3]; if (visible(m[2], e)) inView.push(m); });
          var stride = Math.max(1, Math.ceil(inView.length / arrowsMax)), arrows = 0;
          for (var i = 0; i < inView.length; i += stride) {
            var m = inView[i], y1 = nodeY(m[0]), y2 = nodeY(m[1]);
            if (y1 === null || y2 === null) continue;
            var classes = "msg", fate = m[4];
            if (m[5] & 1) classes += " dup";
            if (m[5] & 2) classes += " delayed";
            if (m[5] & 4) classes += " held";
            var text = "n" + m[0] + "→n" + m[1] + " sent " + seconds(m[2]);
            var x1 = X(m[2]), x2, y;
            if (fate === "d") { text += ", delivered " + seconds(m[3]); }
            else if (fate === "l") { text += ", lost by the network"; }
            else if (fate === "b") { text += m[3] === m[2] ? ", dropped at a partition" : ", dropped at a partition on arrival " + seconds(m[3]); }
            else if (fate === "r") { text += ", dropped: n" + m[1] + " was down at " + seconds(m[3]); }
            else { text += ", still in flight at the end"; }
            if (m[5] & 1) text += " (one of two copies)";
            if (m[5] & 2) text += " (delayed)";
            if (m[5] & 4) text += " (held while n" + m[1] + " was paused)";
            text += ": " + m[6];
            if (matches(messageText(m))) classes += " hit";
            if (fate === "d") {
              el("line", { "class": classes, x1: x1, y1: y1, x2: X(m[3]), y2: y2, "marker-end": "url(#arrow)" }, g, text);
            } else if (fate === "f") {
              el("line", { "class": classes + " inflight", x1: x1, y1: y1, x2: X(end), y2: y2 }, g, text);
            } else if (m[3] === m[2]) {
              x2 = x1 + 16; y = y1 + (y2 - y1) * 0.25;
              el("line", { "class": classes + (fate === "l" ? " lost" : " blocked"), x1: x1, y1: y1, x2: x2, y2: y }, g, text);
              var cross = el("text", { "class": "x", x: x2 - 3, y: y + 4 }, g, text); cross.textContent = "×";
            } else {
              x2 = X(m[3]);
              el("line", { "class": classes + " dropped", x1: x1, y1: y1, x2: x2, y2: y2 }, g, text);
              var mark = el("text", { "class": "x", x: x2 - 3, y: y2 + 4 }, g, text); mark.textContent = "×";
            }
            arrows += 1;
          }
          // Marks: boots, crashes, pauses, clock changes, timers, durability, log lines.
          var showLogs = document.getElementById("show-logs").checked;
          var showTimers = document.getElementById("show-timers").checked;
          var showDurable = document.getElementById("show-durable").checked;
          var marks = data.events.filter(function (e) {
            if (e[0] < view.t0 || e[0] > view.t1 || e[1] === null || nodeY(e[1]) === null) return false;
            var k = e[2];
            return (k === "log" && showLogs) || (k === "timer" && showTimers) || (k === "durable" && showDurable)
              || (k !== "log" && k !== "timer" && k !== "durable");
          });
          var markStride = Math.max(1, Math.ceil(marks.length / marksMax)), marksDrawn = 0;
          for (var j = 0; j < marks.length; j += markStride) {
            var e = marks[j], x = X(e[0]), y = nodeY(e[1]), k = e[2], hit = matches(eventText(e)) ? " hit" : "";
            var tip = seconds(e[0]) + " n" + e[1] + " " + (k === "log" ? "" : k + ": ") + e[3];
            if (k === "crash") el("path", { "class": "mark-crash" + hit, d: "M" + (x - 5) + " " + (y - 5) + "l10 10m0 -10l-10 10", stroke: "#c62828", "stroke-width": 2.5 }, g, tip);
            else if (k === "boot" || k === "restart") el("path", { "class": "mark-boot" + hit, d: "M" + x + " " + (y - 6) + "l6 6l-6 6z" }, g, tip);
            else if (k === "pause" || k === "resume") el("rect", { "class": "mark-pause" + hit, x: x - 2, y: y - 7, width: 4, height: 14 }, g, tip);
            else if (k === "clock") el("path", { "class": "mark-clock" + hit, d: "M" + x + " " + (y - 7) + "l5 7l-5 7l-5 -7z" }, g, tip);
            else if (k === "timer") el("line", { "class": "mark-timer" + hit, x1: x, x2: x, y1: y - 4, y2: y + 4 }, g, tip);
            else if (k === "durable") el("rect", { "class": "mark-durable" + hit, x: x - 2, y: y - 9, width: 4, height: 4 }, g, tip);
            else if (k === "log") el("circle", { "class": "mark-log" + hit, cx: x, cy: y - 8, r: 2.2 }, g, tip);
            else el("circle", { "class": "mark-net" + hit, cx: x, cy: y, r: 3 }, g, tip);
            marksDrawn += 1;
          }
          svg.setAttribute("data-nodes", nodeLines);
          svg.setAttribute("data-arrows", arrows);
          svg.setAttribute("data-operations", operationsDrawn);
          svg.setAttribute("data-marks", marksDrawn);
          svg.setAttribute("data-hits", svg.querySelectorAll(".hit").length);
          document.getElementById("window").textContent = "showing " + seconds(Math.max(0, view.t0)) + " – " + seconds(view.t1);
          document.getElementById("drawn").textContent = arrows + " of " + inView.length + " messages in view drawn"
            + (stride > 1 ? " (every " + stride + "th: zoom in to see them all)" : "")
            + ", " + marksDrawn + " marks, " + operationsDrawn + " operations" + (data.truncated ? ". The recording was cut short at its size bound." : ".");
          document.body.setAttribute("data-rendered", "yes");
        }

        function counts() {
          var fates = { d: 0, l: 0, b: 0, r: 0, f: 0 }, dup = 0, delayed = 0;
          data.messages.forEach(function (m) { fates[m[4]] += 1; if (m[5] & 1) dup += 1; if (m[5] & 2) delayed += 1; });
          var outcomes = { ok: 0, fail: 0, info: 0, open: 0 }, blamed = 0;
          data.operations.forEach(function (o) { outcomes[o[5]] += 1; if (o[7]) blamed += 1; });
          document.getElementById("counts").textContent = "· " + data.nodes.length + " nodes · " + data.messages.length + " messages ("
            + fates.d + " delivered, " + fates.l + " lost, " + fates.b + " blocked, " + fates.r + " to a down node, " + fates.f + " in flight; "
            + dup + " duplicated, " + delayed + " delayed) · " + data.events.length + " events · " + data.operations.length + " operations ("
            + outcomes.ok + " ok, " + outcomes.fail + " fail, " + outcomes.info + " info, " + outcomes.open + " open"
            + (blamed ? "; " + blamed + " blamed" : "") + ")";
        }

        function goTo(t) {
          var span = Math.max(1000, (view.t1 - view.t0) / 10);
          view = { t0: t - span / 2, t1: t + span / 2 };
          draw();
          chart.scrollIntoView({ block: "nearest" });
        }

        function list() {
          var rows = [];
          if (query === "") {
            data.events.forEach(function (e) {
              if (["crash", "restart", "pause", "resume", "partition", "block", "heal", "network", "clock"].indexOf(e[2]) >= 0) rows.push([e[0], eventText(e)]);
            });
            data.operations.forEach(function (o) { if (o[7]) rows.push([o[3], "BLAMED operation " + o[0] + " (process " + o[1] + ", " + o[5] + "): " + o[6]]); });
            document.getElementById("list-title").textContent = "Faults and blamed operations";
          } else {
            data.events.forEach(function (e) { if (matches(eventText(e))) rows.push([e[0], eventText(e)]); });
            data.messages.forEach(function (m) { if (matches(messageText(m))) rows.push([m[2], messageText(m) + " (" + { d: "delivered", l: "lost", b: "blocked", r: "receiver down", f: "in flight" }[m[4]] + ")"]); });
            data.operations.forEach(function (o) { if (matches(o[6])) rows.push([o[3], "operation " + o[0] + " (process " + o[1] + ", " + o[5] + "): " + o[6]]); });
            document.getElementById("list-title").textContent = "Matches";
          }
          rows.sort(function (a, b) { return a[0] - b[0]; });
          document.getElementById("matches").textContent = query === "" ? "" : rows.length + " matches";
          var table = document.createElement("table");
          rows.slice(0, listMax).forEach(function (r) {
            var tr = document.createElement("tr"); tr.className = "row";
            var td1 = document.createElement("td"); td1.className = "time"; td1.textContent = seconds(r[0]);
            var td2 = document.createElement("td"); td2.textContent = r[1];
            tr.appendChild(td1); tr.appendChild(td2);
            tr.addEventListener("click", function () { goTo(r[0]); });
            table.appendChild(tr);
          });
          var box = document.getElementById("event-list");
          box.innerHTML = "";
          box.appendChild(table);
          if (rows.length > listMax) { var more = document.createElement("p"); more.textContent = "… and " + (rows.length - listMax) + " more"; box.appendChild(more); }
        }

        function zoom(factor, center) {
          var c = center === undefined ? (view.t0 + view.t1) / 2 : center;
          var t0 = c - (c - view.t0) * factor, t1 = c + (view.t1 - c) * factor;
          if (t1 - t0 < 1000) return;
          if (t1 - t0 > end * 1.2) { t0 = -end * 0.01; t1 = end * 1.02; }
          view = { t0: t0, t1: t1 };
          draw();
        }
        document.getElementById("zoom-in").addEventListener("click", function () { zoom(0.5); });
        document.getElementById("zoom-out").addEventListener("click", function () { zoom(2); });
        document.getElementById("zoom-reset").addEventListener("click", function () { view = { t0: -end * 0.01, t1: end * 1.02 }; draw(); });
        ["show-logs", "show-timers", "show-durable"].forEach(function (id) { document.getElementById(id).addEventListener("change", draw); });
        document.getElementById("search").addEventListener("input", function (event) { query = event.target.value.trim().toLowerCase(); draw(); list(); });
        chart.addEventListener("wheel", function (event) {
          event.preventDefault();
          var rect = svg.getBoundingClientRect(), plot = rect.width - gutter - 10;
          var at = view.t0 + (event.clientX - rect.left - gutter) / plot * (view.t1 - view.t0);
          zoom(event.deltaY < 0 ? 0.8 : 1.25, at);
        }, { passive: false });
        var drag = null;
        chart.addEventListener("mousedown", function (event) { drag = { x: event.clientX, view: view }; chart.style.cursor = "grabbing"; });
        window.addEventListener("mouseup", function () { drag = null; chart.style.cursor = ""; });
        window.addEventListener("mousemove", function (event) {
          if (!drag) return;
          var plot = svg.getBoundingClientRect().width - gutter - 10;
          var shift = (event.clientX - drag.x) / plot * (drag.view.t1 - drag.view.t0);
          view = { t0: drag.view.t0 - shift, t1: drag.view.t1 - shift };
          draw();
        });
        window.addEventListener("resize", draw);
        // The address may carry a search and a window: page.html#q=crash&t=0.4,0.6 (seconds).
        location.hash.replace(/^#/, "").split("&").forEach(function (part) {
          var pair = part.split("="), value = decodeURIComponent(pair[1] || "");
          if (pair[0] === "q") { query = value.trim().toLowerCase(); document.getElementById("search").value = value; }
          if (pair[0] === "t") {
            var bounds = value.split(",").map(function (v) { return parseFloat(v) * 1e9; });
            if (bounds.length === 2 && bounds[0] < bounds[1]) view = { t0: bounds[0], t1: bounds[1] };
          }
        });
        counts();
        draw();
        list();
        })();
        """#
}
