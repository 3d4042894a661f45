// The ops page: polls /ops/data and draws statuses, lag and freshness over time (uPlot, served by the hub).
"use strict";
const COLOURS = ["#1565c0", "#6a1b9a", "#00838f", "#ad1457", "#558b2f", "#ef6c00"];
let lagChart = null, freshChart = null;

function cell(text, cls) {
  const td = document.createElement("td");
  if (cls) { const span = document.createElement("span"); span.className = cls; span.textContent = text; td.appendChild(span); }
  else td.textContent = text;
  return td;
}

function fill(id, rows) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren(...rows.map(cells => { const tr = document.createElement("tr"); tr.append(...cells); return tr; }));
}

function secs(v) { return v === null || v === undefined ? "-" : (v < 120 ? v.toFixed(1) + " s" : (v / 60).toFixed(1) + " min"); }

// series of [times, values] per name, aligned on the union of times (uPlot wants one x axis)
function aligned(named) {
  const xs = [...new Set(named.flatMap(n => n.series[0]))].sort((a, b) => a - b);
  const cols = named.map(n => { const m = new Map(n.series[0].map((t, i) => [t, n.series[1][i]])); return xs.map(t => m.has(t) ? m.get(t) : null); });
  return [xs, ...cols];
}

function chart(old, el, title, named, unit) {
  const data = aligned(named);
  if (old && old.series.length === named.length + 1) { old.setData(data); return old; }
  if (old) old.destroy();
  const opts = {
    title, width: 560, height: 260, series: [{}, ...named.map((n, i) => ({ label: n.name, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: true }))],
    axes: [{}, { label: unit }],
  };
  return new uPlot(opts, data, el);
}

async function refresh() {
  const r = await fetch("/ops/data");
  if (!r.ok) { document.getElementById("updated").textContent = "data unavailable: " + r.status; return; }
  const d = await r.json();
  fill("groups", d.groups.map(g => {
    const bad = g.partitions.filter(p => p.status !== "OK").map(p => p.topic + "[" + p.partition + "] " + p.evidence);
    const tr = [cell(g.group), cell(g.status, "status status-" + g.status), cell(String(g.total_lag)), cell(secs(g.max_lag_seconds)),
                cell(g.members + " (" + g.state + ")"), cell(bad.slice(0, 2).join("; "))];
    tr[1].dataset.group = g.group; tr[1].dataset.status = g.status;
    return tr;
  }));
  fill("sources", d.sources.map(s => [cell(s.source), cell(s.silent ? "SILENT" : "FLOWING", "status status-" + (s.silent ? "SILENT" : "FLOWING")),
    cell(s.age_s === null ? "never" : secs(s.age_s) + " ago"), cell(secs(s.cadence_s)), cell(String(s.events))]));
  fill("letters", d.dead_letters.map(l => [cell(l.source), cell(l.reason), cell(String(l.count))]));
  lagChart = chart(lagChart, document.getElementById("lag-chart"), "lag (events) per group", d.groups.map(g => ({ name: g.group, series: g.series })), "events");
  freshChart = chart(freshChart, document.getElementById("fresh-chart"), "age of the newest event per department",
    d.sources.map(s => ({ name: s.source, series: s.series })), "seconds");
  document.getElementById("updated").textContent = "updated " + new Date(d.observed_at * 1000).toLocaleTimeString();
  document.body.dataset.ready = "1";
}

refresh();
setInterval(refresh, 5000);
