"""The style and script of `report.html`, inlined into the page (nothing is fetched).

The script reads the page's JSON (see `html_report`) and builds every element with
`textContent` and `dataset`, never `innerHTML`: a test's text can only ever show as text.
Each test that ran is one `.bar` in its lane, placed by its start and sized by its duration
on one time axis for the whole run, so idle time shows as gaps.
"""

from __future__ import annotations

STYLE = """
:root { --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --bg: #ffffff; }
body { font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg);
  margin: 0 1.5em 3em; }
h1 { font-size: 1.3em; margin: 0.8em 0 0.4em; }
h2 { font-size: 1.1em; margin: 1.4em 0 0.4em; border-bottom: 1px solid var(--line); }
table { border-collapse: collapse; }
td, th { padding: 2px 10px 2px 0; text-align: left; vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; }
.id { font-family: ui-monospace, monospace; word-break: break-all; }
pre { background: #f6f8fa; padding: 8px; overflow-x: auto; white-space: pre-wrap;
  word-break: break-all; font-size: 12px; max-height: 30em; }
#search { font: inherit; width: 40em; max-width: 90%; padding: 4px 8px; margin: 0.5em 0; }
.hint { color: var(--muted); font-size: 12px; }
.timeline { position: relative; margin-top: 0.5em; }
.axis { position: relative; height: 18px; margin-left: 220px; border-bottom: 1px solid var(--line);
  font-size: 11px; color: var(--muted); }
.tick { position: absolute; top: 0; padding-left: 2px; border-left: 1px solid var(--line);
  height: 18px; white-space: nowrap; }
.tick.end { transform: translateX(-100%); border-left: 0; border-right: 1px solid var(--line);
  padding: 0 2px 0 0; }
.suite-head { margin: 8px 0 2px; font-weight: 600; }
.lane { display: flex; align-items: center; min-height: 18px; }
.lane-label { width: 216px; flex: none; padding-right: 4px; font-size: 12px; line-height: 14px;
  overflow-wrap: anywhere; font-family: ui-monospace, monospace; }
.track { position: relative; flex: 1; height: 14px; background: #f6f8fa; contain: strict; }
.bar { position: absolute; top: 1px; height: 12px; min-width: 1px; box-sizing: border-box;
  cursor: pointer; }
.bar.sep { border-right: 1px solid rgba(255, 255, 255, 0.7); }
.bar.o-failed, .bar.o-error { min-width: 3px; }
.veil { position: absolute; inset: 0; background: rgba(246, 248, 250, 0.85); opacity: 0;
  pointer-events: none; will-change: opacity; z-index: 4; }
.filtering .veil { opacity: 1; }
.hits { position: absolute; inset: 0; pointer-events: none; z-index: 5; will-change: transform; }
.bar.sel { outline: 2px solid #0969da; z-index: 2; }
.bar.flaky { box-shadow: inset 0 -3px 0 #8250df; }
.bar.quarantined { background-image: repeating-linear-gradient(135deg, transparent 0 3px,
  rgba(255, 255, 255, 0.6) 3px 5px); }
.tag { display: inline-block; margin-left: 6px; padding: 0 5px; border-radius: 6px;
  font-size: 11px; background: #ddf4ff; color: #0550ae; }
.o-passed { background: #2da44e; } .o-failed { background: #cf222e; }
.o-error { background: #9a6700; } .o-skipped { background: #8c959f; }
.o-xfailed { background: #afb8c1; } .o-xpassed { background: #bf8700; }
.o-other { background: #57606a; }
.dead { position: absolute; top: 0; bottom: 0; right: 0;
  background: repeating-linear-gradient(45deg, #ffebe9, #ffebe9 4px, #ffcecb 4px, #ffcecb 8px); }
.crash { position: absolute; top: -2px; bottom: -2px; width: 3px; margin-left: -1px;
  background: #82071e; z-index: 3; }
.lane.crashed .lane-label { color: #82071e; }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 12px;
  color: #fff; }
#detail { min-height: 1.4em; margin: 0.4em 0; }
details { margin: 2px 0; }
summary { cursor: pointer; }
.hidden { display: none; }
"""

SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var OUTCOMES = ["passed", "failed", "error", "skipped", "xfailed", "xpassed"];
  var ROWS_SHOWN = 500, SLOWEST = 20, OPEN_FAILURES = 5;
  var tests = data.tests, lanes = data.lanes, suites = data.suites;
  var span = Math.max(data.span, 1);
  var bars = new Array(tests.length);

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent, child) { parent.appendChild(child); return child; }
  function secs(ms) {
    if (ms === null || ms === undefined) return "";
    return ms < 1000 ? Math.round(ms) + " ms" : (ms / 1000).toFixed(2) + " s";
  }
  function pct(ms) { return Math.max(0, Math.min(100, ms / span * 100)) + "%"; }
  function outcomeClass(o) { return OUTCOMES.indexOf(o) >= 0 ? "o-" + o : "o-other"; }
  function laneName(lane) {
    var name = (lane.shard ? "shard " + lane.shard + " \\u00b7 " : "") + (lane.worker || "?");
    if (lane.replaces) name += " (replaces " + lane.replaces + ")";
    if (lane.crashed) name += " crashed";
    if (lane.restarts) name += " (restarted " + lane.restarts + "\\u00d7)";
    return name;
  }
  function describe(t) {
    var words = [t[0], t[3], secs(t[5])];
    if (t[6] & 1) words.push("flaky");
    if (t[6] & 2) words.push("quarantined");
    if (t[6] & 4) words.push("no result reported");
    return words.join(" \\u00b7 ") + " \\u00b7 " + suites[t[1]].name + " \\u00b7 " +
      laneName(lanes[t[2]]);
  }

  var body = document.body;
  var counts = add(body, el("table", "counts"));
  var head = add(counts, el("tr"));
  ["suite", "status"].concat(OUTCOMES, ["not run", "flaky"]).forEach(function (h, i) {
    add(head, el("th", i > 1 ? "num" : "", h));
  });
  suites.forEach(function (s) {
    var row = add(counts, el("tr"));
    add(row, el("td", "id", s.name));
    add(row, el("td", "", s.status));
    OUTCOMES.concat(["not_run", "flaky"]).forEach(function (o) {
      add(row, el("td", "num", s.counts[o] || 0));
    });
  });

  add(body, el("h2", "", "Search"));
  var search = add(body, el("input"));
  search.id = "search";
  search.type = "search";
  search.placeholder = "filter tests by id, outcome, suite or worker (words, all must match)";
  var matchCount = add(body, el("div", "hint"));

  add(body, el("h2", "", "Timeline"));
  var drawn = tests.filter(function (t) { return t[4] !== null; }).length;
  add(body, el("div", "hint", "Each bar is one test on the worker that ran it, from its start " +
    "for its duration, over " + secs(span) + ". Click a bar for its test. " + drawn + " of " +
    tests.length + " tests have a start time." ));
  var detail = add(body, el("div", "id"));
  detail.id = "detail";
  var timeline = add(body, el("div", "timeline"));
  timeline.id = "timeline";
  var axis = add(timeline, el("div", "axis"));
  var steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000,
    60000, 120000, 300000, 600000, 1200000, 1800000, 3600000];
  var step = steps.filter(function (s) { return span / s <= 10; })[0] || span;
  for (var at = 0; at <= span; at += step) {
    // A label near the right end is drawn to the left of its tick, so it is never cut.
    var tick = add(axis, el("div", at > span * 0.85 ? "tick end" : "tick", secs(at)));
    tick.style.left = pct(at);
  }
  var tracks = lanes.map(function () { return null; });
  var laneRows = [];
  suites.forEach(function (s, si) {
    var ran = lanes.some(function (lane) { return lane.suite === si; });
    add(timeline, el("div", "suite-head", s.name + " \u00b7 " + s.status +
      (ran ? "" : " (no test ran: see summary.json's errors)")));
    lanes.forEach(function (lane, li) {
      if (lane.suite !== si) return;
      var row = add(timeline, el("div", "lane" + (lane.crashed ? " crashed" : "")));
      row.dataset.worker = lane.worker;
      row.dataset.shard = lane.shard;
      var label = add(row, el("div", "lane-label", laneName(lane)));
      label.title = laneName(lane);
      tracks[li] = add(row, el("div", "track"));
      laneRows[li] = row;
    });
  });
  var frags = tracks.map(function () { return document.createDocumentFragment(); });
  var laneEnd = lanes.map(function () { return 0; });
  tests.forEach(function (t, i) {
    if (t[4] === null) return;
    var lane = lanes[t[2]], width = t[5];
    if (lane.crashed && lane.crashed_test === t[0] && lane.crashed_at !== null) {
      width = Math.max(width, lane.crashed_at - t[4]);  // it ran until its worker died
    }
    // A separator between neighbours only where a bar is wide enough to keep its colour.
    var cls = "bar " + outcomeClass(t[3]) + (t[6] & 1 ? " flaky" : "") +
      (t[6] & 2 ? " quarantined" : "");
    var bar = el("div", cls + (width / span > 0.004 ? " sep" : ""));
    bar.style.left = pct(t[4]);
    bar.style.width = pct(width);
    bar.title = describe(t);
    bar.dataset.i = i;
    frags[t[2]].appendChild(bar);
    bars[i] = bar;
    laneEnd[t[2]] = Math.max(laneEnd[t[2]], t[4] + width);
  });
  var hitLayers = tracks.map(function (track, li) {
    track.appendChild(frags[li]);
    add(track, el("div", "veil"));
    return add(track, el("div", "hits"));
  });
  tracks.forEach(function (track, li) {
    var lane = lanes[li];
    if (!lane.crashed) return;
    var at = lane.crashed_at !== null ? lane.crashed_at : laneEnd[li];
    var dead = add(track, el("div", "dead"));
    dead.style.left = pct(at);
    var mark = add(track, el("div", "crash"));
    mark.style.left = pct(at);
    mark.title = "worker " + lane.worker + " crashed at " + secs(at) +
      (lane.crashed_test ? " running " + lane.crashed_test : "");
  });
  var selected = null;
  timeline.addEventListener("click", function (event) {
    var i = event.target.dataset ? event.target.dataset.i : undefined;
    if (i === undefined) return;
    if (selected) selected.classList.remove("sel");
    selected = bars[+i];
    selected.classList.add("sel");
    var t = tests[+i];
    detail.textContent = describe(t) + " \\u00b7 started at " + secs(t[4]);
  });

  function section(title, items, render) {
    add(body, el("h2", "", title + " (" + items.length + ")"));
    var box = add(body, el("div"));
    box.id = title.toLowerCase().replace(/[^a-z]+/g, "-");
    items.forEach(function (item) { render(box, item); });
    return box;
  }
  var failureBoxes = [];
  // A quarantined test's failure fails nothing: listed apart, as the job summary does.
  var failures = data.failures.filter(function (f) { return !(tests[f[0]][6] & 3); });
  var quarantined = data.failures.filter(function (f) { return (tests[f[0]][6] & 3) === 2; });
  var flaky = data.failures.filter(function (f) { return tests[f[0]][6] & 1; });
  function failureBox(box, f) {
    var t = tests[f[0]];
    var d = add(box, el("details", "failure"));
    d.open = failureBoxes.length < OPEN_FAILURES;
    var head = add(d, el("summary", "id", t[0] + " \\u00b7 " + t[3] + " \\u00b7 " +
      suites[t[1]].name));
    if (t[6] & 2) add(head, el("span", "tag", "quarantined"));
    add(d, el("pre", "", f[1] || "(no failure text)"));
    failureBoxes.push([f[0], d]);
  }
  if (data.errors.length) {
    section("Suite errors", data.errors, function (box, e) {
      var d = add(box, el("details", "suite-error"));
      d.open = true;
      var what = e[1] ? "collection error \u00b7 " + e[1] : "error";
      add(d, el("summary", "id", suites[e[0]].name + " \u00b7 " + what));
      add(d, el("pre", "", e[2] || "(no error text)"));
    });
  }
  section("Failures", failures, failureBox);
  if (quarantined.length) section("Quarantined", quarantined, failureBox);
  section("Flaky", flaky, failureBox);

  var slowest = tests.map(function (t, i) { return i; }).sort(function (a, b) {
    return tests[b][5] - tests[a][5];
  }).slice(0, SLOWEST);
  section("Slowest", slowest, function (box, i) {
    var row = add(box, el("div", "id", secs(tests[i][5]) + "  " + tests[i][0]));
    row.title = describe(tests[i]);
  });

  add(body, el("h2", "", "Tests"));
  var table = add(body, el("table"));
  table.id = "tests";
  var tbody = add(table, el("tbody"));
  var hay = tests.map(function (t) {
    return (t[0] + " " + t[3] + " " + suites[t[1]].name + " " + laneName(lanes[t[2]]) +
      (t[6] & 1 ? " flaky" : "") + (t[6] & 2 ? " quarantined" : "")).toLowerCase();
  });

  function filter(query) {
    var began = performance.now();
    var words = query.toLowerCase().split(/\\s+/).filter(Boolean);
    var matched = [], hidden = new Uint8Array(tests.length);
    for (var i = 0; i < tests.length; i++) {
      var ok = true;
      for (var w = 0; w < words.length && ok; w++) ok = hay[i].indexOf(words[w]) >= 0;
      if (ok) matched.push(i); else hidden[i] = 1;
    }
    // The bars themselves never change (repainting 20,000 of them is slow): a veil over each
    // lane greys them out, and copies of the matching bars are drawn above it.
    hitLayers.forEach(function (layer) { if (layer.firstChild) layer.textContent = ""; });
    if (words.length) {
      matched.forEach(function (i) {
        if (bars[i]) hitLayers[tests[i][2]].appendChild(bars[i].cloneNode(false));
      });
    }
    timeline.classList.toggle("filtering", words.length > 0);
    failureBoxes.forEach(function (pair) {
      var hide = hidden[pair[0]] === 1;
      if (pair[1].classList.contains("hidden") !== hide) pair[1].classList.toggle("hidden", hide);
    });
    var rows = document.createDocumentFragment();
    matched.slice(0, ROWS_SHOWN).forEach(function (i) {
      var t = tests[i], row = el("tr");
      add(row, el("td", "", t[3]));
      add(row, el("td", "num", secs(t[5])));
      add(row, el("td", "", suites[t[1]].name));
      add(row, el("td", "", laneName(lanes[t[2]])));
      add(row, el("td", "id", t[0]));
      rows.appendChild(row);
    });
    tbody.textContent = "";
    tbody.appendChild(rows);
    matchCount.textContent = matched.length + " of " + tests.length + " tests match" +
      (matched.length > ROWS_SHOWN ? " (the first " + ROWS_SHOWN + " are listed)" : "");
    document.documentElement.dataset.filterMs = Math.round(performance.now() - began);
    document.documentElement.dataset.filtered = query;
  }
  var pending = null;
  search.addEventListener("input", function () {
    clearTimeout(pending);
    pending = setTimeout(function () { filter(search.value); }, 80);
  });
  filter("");
  document.documentElement.dataset.ready = "1";
})();
"""
