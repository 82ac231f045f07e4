// retrain dashboard: plain JavaScript over the node's HTTP API, charts with
// Chart.js (Debian's libjs-chart.js, compiled into the node). Pages:
//   #/             fleet: every model, paged through GET /v1/models
//   #/model/<id>   one model: GET /v1/models/<id>/history, live
//   #/jobs         jobs: GET /v1/jobs, log tails from GET /v1/jobs/<id>/log
// Live updates come as Server-Sent Events from GET /v1/events/stream.
// What a chart shows is also kept in data-* attributes, so tests (and
// people with devtools) read numbers, not pixels.
"use strict";

const PAGE_SIZE = 50;
const SPARK_POINTS = 60;
const main = document.getElementById("main");
const live = document.getElementById("live");
let stream = null;
let page = null; // the current page's { update(data), stop() }

// -- helpers ------------------------------------------------------------------

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined)
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

async function getJson(url) {
  const res = await fetch(url, { cache: "no-store" });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(body.message || res.statusText);
    err.status = res.status;
    err.code = body.code;
    throw err;
  }
  return body;
}

// Times in the browser's own zone.
function localTime(ms) {
  return ms === null || ms === undefined ? "" : new Date(ms).toLocaleString();
}
function isoToMs(iso) {
  return iso ? Date.parse(iso) : null;
}
function fmt(x) {
  if (x === null || x === undefined) return "";
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? x.toExponential(3)
                                            : String(+x.toPrecision(4));
}
function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
function badge(text, cls) {
  return el("span", { class: "badge " + (cls || text), text });
}

function openStream(query, name, onData) {
  closeStream();
  stream = new EventSource("/v1/events/stream" + query);
  stream.addEventListener(name, (ev) => {
    live.dataset.live = "on";
    onData(JSON.parse(ev.data));
  });
  stream.addEventListener("failure", () => { live.dataset.live = "off"; });
  stream.onerror = () => { live.dataset.live = "off"; };
  stream.onopen = () => { live.dataset.live = "on"; };
}
function closeStream() {
  if (stream) stream.close();
  stream = null;
  live.dataset.live = "off";
}

// -- fleet --------------------------------------------------------------------

// What the model decided last: drift once it triggered or a kind says so,
// else a warning if a kind warns, else none.
function decisionOf(m) {
  const kinds = m.kinds || [];
  if (m.triggers > 0 || kinds.some((k) => k.state === "drift")) return "drift";
  if (kinds.some((k) => k.state === "warning")) return "warning";
  return "none";
}
function decisionText(m) {
  const k = (m.kinds || []).find((x) => x.state === "drift")
    || (m.kinds || []).find((x) => x.state === "warning") || (m.kinds || [])[0];
  if (!k) return "no values yet";
  return `${k.kind} ${fmt(k.statistic)} / ${fmt(k.threshold)}`;
}

function sparkline(points) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("viewBox", "0 0 120 28");
  svg.setAttribute("preserveAspectRatio", "none");
  const ys = points.map((p) => p.statistic).filter((y) => y !== null);
  svg.dataset.points = String(ys.length);
  if (ys.length === 0) return svg;
  const th = points[points.length - 1].threshold;
  const all = th === null ? ys : ys.concat([th]);
  const lo = Math.min(...all), hi = Math.max(...all);
  const span = hi - lo || 1;
  const y = (v) => (26 - ((v - lo) / span) * 24).toFixed(1);
  const step = ys.length > 1 ? 120 / (ys.length - 1) : 0;
  const line = document.createElementNS(svg.namespaceURI, "polyline");
  line.setAttribute("points", ys.map((v, i) => `${(i * step).toFixed(1)},${y(v)}`).join(" "));
  svg.append(line);
  if (th !== null) {
    const t = document.createElementNS(svg.namespaceURI, "line");
    t.setAttribute("x1", "0"); t.setAttribute("x2", "120");
    t.setAttribute("y1", y(th)); t.setAttribute("y2", y(th));
    svg.append(t);
  }
  return svg;
}

function fleetPage(params) {
  const state = {
    contains: params.get("contains") || "",
    status: params.get("state") || "",
    sort: params.get("sort") || "model",
    offset: Number(params.get("offset") || 0),
    sparks: new Map(), // model -> events count its sparkline shows
  };
  const filter = el("input", { type: "search", placeholder: "filter models (part of the id)",
    value: state.contains, "aria-label": "filter" });
  const status = el("select", { "aria-label": "state" },
    ...["", "watching", "job-active", "standing-down", "restarting", "quarantined",
        "passivated"].map((s) => el("option", { value: s, text: s || "any state" })));
  status.value = state.status;
  const sort = el("select", { "aria-label": "sort" },
    el("option", { value: "model", text: "sort: model" }),
    el("option", { value: "state", text: "sort: state" }),
    el("option", { value: "-events", text: "sort: most events" }),
    el("option", { value: "-triggers", text: "sort: most triggers" }));
  sort.value = state.sort;
  const tbody = el("tbody");
  const total = el("span", { id: "fleet-total" });
  const prev = el("button", { text: "‹ previous" });
  const next = el("button", { text: "next ›" });
  const summary = el("div", { class: "summary", id: "fleet-summary" });
  const error = el("div", { class: "error" });
  main.replaceChildren(
    el("h1", { text: "Fleet" }), summary,
    el("div", { class: "controls" }, filter, status, sort), error,
    el("div", { class: "table-wrap" },
      el("table", { class: "fleet", id: "fleet" },
        el("colgroup", {},
          el("col", { style: "width:34%" }), el("col", { style: "width:13%" }),
          el("col", { style: "width:23%" }), el("col", { style: "width:9%" }),
          el("col", { style: "width:7%" }), el("col", { style: "width:14%" })),
        el("thead", {}, el("tr", {},
          el("th", { text: "model" }), el("th", { text: "state" }),
          el("th", { text: "last decision" }), el("th", { class: "num", text: "events" }),
          el("th", { class: "num", text: "triggers" }), el("th", { text: "statistic" }))),
        tbody)),
    el("div", { class: "pager" }, prev, next, total));

  let timer = null;
  const reload = () => { clearTimeout(timer); timer = setTimeout(load, 150); };
  const setUrl = () => {
    const q = new URLSearchParams();
    if (state.contains) q.set("contains", state.contains);
    if (state.status) q.set("state", state.status);
    if (state.sort !== "model") q.set("sort", state.sort);
    if (state.offset) q.set("offset", state.offset);
    const h = "#/" + (q.toString() ? "?" + q : "");
    if (location.hash !== h) history.replaceState(null, "", h);
  };
  filter.addEventListener("input", () => { state.contains = filter.value.trim(); state.offset = 0; reload(); });
  status.addEventListener("change", () => { state.status = status.value; state.offset = 0; reload(); });
  sort.addEventListener("change", () => { state.sort = sort.value; state.offset = 0; reload(); });
  prev.addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE_SIZE); reload(); });
  next.addEventListener("click", () => { state.offset += PAGE_SIZE; reload(); });

  async function spark(m, cell) {
    if (state.sparks.get(m.model) === m.events && cell.firstChild) return;
    try {
      const h = await getJson(`/v1/models/${encodeURIComponent(m.model)}/history?points=${SPARK_POINTS}`);
      const k = h.kinds.find((x) => x.kind === (decisionKind(m) || "")) || h.kinds[0];
      cell.replaceChildren(sparkline(k ? k.points : []));
      if (k) cell.title = `${k.kind}: statistic of the last ${k.points.length} points`;
      state.sparks.set(m.model, m.events);
    } catch (e) { /* the model may have gone meanwhile */ }
  }
  function decisionKind(m) {
    const k = (m.kinds || []).find((x) => x.state === "drift") || (m.kinds || [])[0];
    return k && k.kind;
  }

  // Rows are reused by position, so a refresh changes text in place and
  // the page does not jump.
  function render(doc) {
    const rows = doc.models;
    while (tbody.children.length > rows.length) tbody.lastChild.remove();
    rows.forEach((m, i) => {
      let tr = tbody.children[i];
      if (!tr) {
        tr = el("tr", {}, el("td"), el("td"), el("td"), el("td", { class: "num" }),
          el("td", { class: "num" }), el("td"));
        tbody.append(tr);
      }
      const decision = decisionOf(m);
      tr.dataset.model = m.model;
      tr.dataset.state = m.state;
      tr.dataset.decision = decision;
      tr.dataset.events = m.events;
      const [c0, c1, c2, c3, c4, c5] = tr.children;
      if (tr.dataset.shown !== m.model) {
        c0.replaceChildren(el("a", { href: "#/model/" + encodeURIComponent(m.model), text: m.model }));
        c0.title = m.model;
        c5.replaceChildren();
        tr.dataset.shown = m.model;
      }
      c1.replaceChildren(badge(m.state));
      c2.replaceChildren(badge(decision), " ", decisionText(m));
      c3.textContent = m.events.toLocaleString();
      c4.textContent = m.triggers.toLocaleString();
      spark(m, c5);
    });
    const first = doc.total ? doc.offset + 1 : 0;
    total.textContent = `${first}–${doc.offset + rows.length} of ${doc.total.toLocaleString()} models`;
    total.dataset.total = doc.total;
    prev.disabled = doc.offset === 0;
    next.disabled = doc.offset + rows.length >= doc.total;
  }

  async function load() {
    setUrl();
    const q = new URLSearchParams({ limit: PAGE_SIZE, offset: state.offset, sort: state.sort });
    if (state.contains) q.set("contains", state.contains);
    if (state.status) q.set("state", state.status);
    try {
      render(await getJson("/v1/models?" + q));
      error.textContent = "";
    } catch (e) {
      error.textContent = "Cannot list models: " + e.message;
    }
  }

  function showTotals(t) {
    const parts = [["models", t.models], ["events", t.events], ["triggers", t.triggers],
      ["jobs queued", t.queued], ["running", t.running], ["succeeded", t.succeeded],
      ["failed", t.failed]].filter(([, v]) => v !== undefined);
    summary.replaceChildren(...parts.map(([k, v]) =>
      el("span", {}, el("b", { text: Number(v).toLocaleString() }), " " + k)));
  }

  load();
  openStream("", "fleet", (t) => { showTotals(t); reload(); });
  return { stop: () => clearTimeout(timer) };
}

// -- model --------------------------------------------------------------------

// Draws the jobs and versions of the line as vertical lines on every chart
// (Chart.js has no annotations without a plugin; this is that plugin).
const markersPlugin = {
  id: "retrainMarkers",
  afterDatasetsDraw(chart, args, opts) {
    const { ctx, chartArea: a, scales: { x } } = chart;
    ctx.save();
    for (const m of opts.marks || []) {
      if (m.t < x.min || m.t > x.max) continue;
      const px = x.getPixelForValue(m.t);
      ctx.strokeStyle = m.color;
      ctx.setLineDash(m.dash || []);
      ctx.lineWidth = 1.5;
      ctx.beginPath(); ctx.moveTo(px, a.top); ctx.lineTo(px, a.bottom); ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = m.color;
      ctx.font = "11px system-ui, sans-serif";
      // Labels near the right edge go left of their line.
      const w = ctx.measureText(m.label).width;
      const tx = px + 3 + w > a.right ? px - 3 - w : px + 3;
      ctx.fillText(m.label, tx, a.top + 12 + (m.row || 0) * 13);
    }
    ctx.restore();
  },
};

function lineMarks(doc) {
  const marks = [];
  for (const j of doc.jobs || []) {
    marks.push({ t: isoToMs(j.created), label: `job ${j.id}`, color: cssVar("--job"),
      dash: [4, 3], row: 1 });
  }
  for (const v of doc.versions || []) {
    marks.push({ t: isoToMs(v.created), label: `v${v.version}`, color: cssVar("--version"), row: 0 });
  }
  return marks;
}

// The x range every chart of the page shares: points, triggers, jobs and
// versions on one time axis.
function timeRange(doc) {
  const ts = [];
  for (const k of doc.kinds) for (const p of k.points) ts.push(p.t);
  for (const m of lineMarks(doc)) ts.push(m.t);
  if (ts.length === 0) return null;
  let lo = Math.min(...ts), hi = Math.max(...ts);
  const pad = Math.max((hi - lo) * 0.02, 1000);
  return { min: lo - pad, max: hi + pad };
}

function kindData(doc, k) {
  const pts = k.points;
  const trig = doc.triggers.filter((t) => t.kind === k.kind);
  const thresholds = pts.map((p) => p.threshold).filter((t) => t !== null);
  const threshold = thresholds.length ? thresholds[thresholds.length - 1] : null;
  return {
    value: pts.map((p) => ({ x: p.t, y: p.last })),
    min: pts.map((p) => ({ x: p.t, y: p.min })),
    max: pts.map((p) => ({ x: p.t, y: p.max })),
    statistic: pts.map((p) => ({ x: p.t, y: p.statistic })),
    threshold: pts.map((p) => ({ x: p.t, y: p.threshold })),
    warnings: pts.filter((p) => p.state === "warning").map((p) => ({ x: p.t, y: p.statistic, samples: p.samples })),
    drifts: pts.filter((p) => p.state === "drift").map((p) => ({ x: p.t, y: p.statistic, samples: p.samples })),
    triggers: trig.map((t) => ({ x: t.t, y: t.statistic, samples: t.samples })),
    thresholdNow: threshold,
  };
}

// The numbers a chart shows, on its element.
function describe(box, k, d) {
  box.dataset.kind = k.kind;
  box.dataset.strategy = k.strategy;
  box.dataset.points = String(k.points.length);
  box.dataset.threshold = d.thresholdNow === null ? "" : String(d.thresholdNow);
  box.dataset.triggerSamples = d.triggers.map((t) => t.samples).join(",");
  box.dataset.triggerTimes = d.triggers.map((t) => t.x).join(",");
  box.dataset.driftSamples = d.drifts.map((t) => t.samples).join(",");
  box.dataset.warningSamples = d.warnings.map((t) => t.samples).join(",");
  box.dataset.lastSamples = k.points.length ? String(k.points[k.points.length - 1].samples) : "0";
  box.dataset.firstT = k.points.length ? String(k.points[0].t) : "";
  box.dataset.lastT = k.points.length ? String(k.points[k.points.length - 1].t) : "";
}

function makeChart(canvas, d, range, marks) {
  if (!window.Chart) return null;
  const c = (v) => cssVar(v);
  const ds = [
    { label: "max", data: d.max, borderWidth: 0, pointRadius: 0, fill: "+1",
      backgroundColor: c("--band"), order: 5 },
    { label: "min", data: d.min, borderWidth: 0, pointRadius: 0, fill: false, order: 5 },
    { label: "value (last)", data: d.value, borderColor: c("--value"), borderWidth: 1,
      pointRadius: 0, order: 4 },
    { label: "statistic", data: d.statistic, borderColor: c("--stat"), borderWidth: 2,
      pointRadius: 0, order: 3 },
    { label: "threshold", data: d.threshold, borderColor: c("--threshold"), borderWidth: 1.5,
      borderDash: [6, 4], pointRadius: 0, stepped: true, order: 2 },
    { label: "warning", type: "scatter", data: d.warnings, pointStyle: "triangle",
      pointRadius: 5, backgroundColor: c("--warn"), borderColor: c("--warn"), order: 1 },
    { label: "drift", type: "scatter", data: d.drifts, pointStyle: "rectRot",
      pointRadius: 4, backgroundColor: c("--drift"), borderColor: c("--drift"), order: 1 },
    { label: "trigger", type: "scatter", data: d.triggers, pointStyle: "crossRot",
      pointRadius: 9, borderWidth: 3, borderColor: c("--drift"), order: 0 },
  ];
  return new Chart(canvas, {
    type: "line",
    data: { datasets: ds },
    plugins: [markersPlugin],
    options: {
      animation: false, responsive: true, maintainAspectRatio: false, parsing: true,
      normalized: true, spanGaps: true,
      interaction: { mode: "nearest", intersect: false },
      scales: {
        x: { type: "linear", min: range.min, max: range.max,
          ticks: { color: c("--muted"), maxRotation: 0, autoSkipPadding: 16,
            callback: (v) => new Date(v).toLocaleTimeString() },
          grid: { color: c("--line") } },
        y: { ticks: { color: c("--muted") }, grid: { color: c("--line") } },
      },
      plugins: {
        legend: { display: false },
        retrainMarkers: { marks },
        tooltip: { callbacks: {
          title: (items) => items.length ? localTime(items[0].parsed.x) : "",
          label: (item) => {
            const raw = item.raw || {};
            const s = raw.samples !== undefined ? ` (sample ${raw.samples})` : "";
            return `${item.dataset.label}: ${fmt(item.parsed.y)}${s}`;
          } } },
      },
    },
  });
}

function updateChart(chart, d, range, marks) {
  if (!chart) return;
  const keys = ["max", "min", "value", "statistic", "threshold", "warnings", "drifts", "triggers"];
  keys.forEach((k, i) => { chart.data.datasets[i].data = d[k]; });
  chart.options.scales.x.min = range.min;
  chart.options.scales.x.max = range.max;
  chart.options.plugins.retrainMarkers.marks = marks;
  chart.update("none");
}

function timelineItems(doc) {
  const items = [];
  for (const t of doc.triggers) items.push({ t: t.t, kind: "trigger", what: "trigger",
    text: `${t.kind}: statistic ${fmt(t.statistic)}, threshold ${fmt(t.threshold)}, sample ${t.samples}`,
    attrs: { "data-samples": t.samples, "data-metric": t.kind } });
  for (const j of doc.jobs || []) items.push({ t: isoToMs(j.created), kind: "job", what: `job ${j.id}`,
    text: `${j.state}, ${j.attempts} attempt(s)${j.version ? ", version " + j.version : ""} — ${j.reason}`,
    attrs: { "data-job": j.id, "data-state": j.state } });
  for (const v of doc.versions || []) items.push({ t: isoToMs(v.created), kind: "version",
    what: `version ${v.version}`, text: `from ${v.parent}, job ${v.job_id}${v.artifact ? ", " + v.artifact : ""}`,
    attrs: { "data-version": v.version } });
  items.sort((a, b) => a.t - b.t);
  return items;
}

function modelPage(model) {
  const title = el("h1", { text: model });
  const summary = el("div", { class: "summary", id: "model-summary" });
  const cards = el("div", { class: "cards", id: "charts" });
  const timeline = el("ul", { class: "timeline", id: "timeline" });
  const error = el("div", { class: "error" });
  const legend = el("div", { class: "legend" },
    ...[["--value", "value (last in bucket)"], ["--band", "min–max"], ["--stat", "statistic"],
        ["--threshold", "threshold"], ["--warn", "warning"], ["--drift", "drift / trigger ×"],
        ["--job", "job"], ["--version", "version"]]
      .map(([v, t]) => el("span", {}, el("i", { style: `background:var(${v})` }), t)));
  main.replaceChildren(el("p", {}, el("a", { href: "#/", text: "‹ fleet" })), title, summary,
    error, legend, cards,
    el("div", { class: "card", style: "margin-top:12px" }, el("h2", { text: "Line timeline" }),
      timeline));
  const charts = new Map(); // kind -> { box, chart }

  function render(doc) {
    main.dataset.model = doc.model;
    const st = doc.status || {};
    summary.replaceChildren(
      el("span", {}, "state ", badge(st.state || "unknown")),
      el("span", {}, "decision ", badge(decisionOf(st))),
      el("span", {}, el("b", { text: (st.events || 0).toLocaleString() }), " events"),
      el("span", {}, el("b", { text: (st.triggers || 0).toLocaleString() }), " triggers"),
      el("span", {}, "line ", el("b", { text: doc.line })),
      el("span", {}, `one point per ${doc.resolution_ms} ms, at most ${doc.capacity}`));
    summary.dataset.state = st.state || "";
    summary.dataset.decision = decisionOf(st);
    const range = timeRange(doc) || { min: Date.now() - 60000, max: Date.now() };
    const marks = lineMarks(doc);
    for (const k of doc.kinds) {
      const d = kindData(doc, k);
      let c = charts.get(k.kind);
      if (!c) {
        const canvas = el("canvas", { role: "img", "aria-label": `${k.kind} over time` });
        const box = el("div", { class: "chart-box" }, canvas);
        const card = el("section", { class: "card chart", "data-chart": k.kind },
          el("h2", {}, `${k.kind} `, el("span", { class: "muted", text: `(${k.strategy})` })), box);
        cards.append(card);
        c = { box: card, chart: makeChart(canvas, d, range, marks) };
        charts.set(k.kind, c);
      } else {
        updateChart(c.chart, d, range, marks);
      }
      describe(c.box, k, d);
    }
    if (doc.kinds.length === 0 && !cards.firstChild)
      cards.append(el("p", { class: "muted", text: "No values recorded yet." }));
    const items = timelineItems(doc);
    timeline.replaceChildren(...items.map((i) =>
      el("li", Object.assign({ "data-kind": i.kind, "data-t": i.t }, i.attrs),
        el("span", { class: "muted", text: localTime(i.t) }),
        el("span", { class: "what", text: i.what }), el("span", { text: i.text }))));
    if (doc.jobs === null)
      timeline.append(el("li", {}, el("span"), el("span"),
        el("span", { class: "muted", text: "jobs and versions are served by the coordinator's node" })));
    main.dataset.updates = String(Number(main.dataset.updates || 0) + 1);
  }

  getJson(`/v1/models/${encodeURIComponent(model)}/history`)
    .then((doc) => { render(doc); error.textContent = ""; })
    .catch((e) => { error.textContent = e.status === 404 ? "This node knows no such model." : "Cannot load: " + e.message; });
  openStream("?model=" + encodeURIComponent(model), "history", (doc) => render(doc));
  return { stop: () => { for (const c of charts.values()) if (c.chart) c.chart.destroy(); } };
}

// -- jobs ---------------------------------------------------------------------

function jobsPage() {
  const sections = {};
  const make = (name, title) => {
    const tbody = el("tbody");
    sections[name] = tbody;
    return el("section", { class: "card", style: "margin-bottom:12px", "data-section": name },
      el("h2", {}, title, " ", el("span", { class: "muted", "data-count": name })),
      el("div", { class: "table-wrap" },
        el("table", { class: "jobs" },
          el("colgroup", {}, el("col", { style: "width:15%" }), el("col", { style: "width:22%" }),
            el("col", { style: "width:9%" }), el("col", { style: "width:7%" }),
            el("col", { style: "width:8%" }), el("col", { style: "width:15%" }),
            el("col", { style: "width:24%" })),
          el("thead", {}, el("tr", {}, ...["id", "model", "state", "attempts", "version",
            "updated", "reason / error"].map((t) => el("th", { text: t })))),
          tbody)));
  };
  const log = el("div", { class: "card", id: "job-log" },
    el("h2", { text: "Log tail" }), el("p", { class: "muted", text: "Select a job to see the tail of its attempts' logs." }));
  const error = el("div", { class: "error" });
  main.replaceChildren(el("h1", { text: "Jobs" }), error, make("queued", "Queue"),
    make("running", "Running"), make("recent", "Recent (succeeded and failed)"), log);
  let selected = null;

  async function showLog(job) {
    selected = job.id;
    const parts = [el("h2", { text: `Log tail of job ${job.id} (${job.model})` })];
    for (let a = job.attempts; a >= 1; --a) {
      try {
        const l = await getJson(`/v1/jobs/${job.id}/log?attempt=${a}`);
        parts.push(el("div", { class: "muted", text: `attempt ${a}: ${l.size} bytes${l.truncated ? ", last 4 KiB" : ""}` }),
          el("pre", { class: "log", "data-attempt": a, text: l.tail || "(empty)" }));
      } catch (e) {
        parts.push(el("div", { class: "muted", text: `attempt ${a}: ${e.message}` }));
      }
    }
    if (job.attempts === 0) parts.push(el("p", { class: "muted", text: "No attempt started yet." }));
    log.replaceChildren(...parts);
  }

  function fill(tbody, jobs) {
    tbody.replaceChildren(...jobs.map((j) => {
      const tr = el("tr", { "data-job": j.id, "data-state": j.state, onclick: () => { showLog(j); load(); } },
        el("td", {}, el("a", { href: "javascript:void 0", text: String(j.id) })),
        el("td", { title: j.model }, el("a", { href: "#/model/" + encodeURIComponent(j.model), text: j.model })),
        el("td", {}, badge(j.state)), el("td", { class: "num", text: j.attempts }),
        el("td", { text: j.version }), el("td", { text: localTime(isoToMs(j.updated)) }),
        el("td", { title: j.error || j.reason, text: j.error || j.reason }));
      if (j.id === selected) tr.classList.add("selected");
      return tr;
    }));
    if (!jobs.length) tbody.append(el("tr", {}, el("td", { colspan: 7, class: "muted", text: "none" })));
  }

  async function load() {
    try {
      const [q, r, s, f] = await Promise.all(["queued", "running", "succeeded", "failed"]
        .map((st) => getJson(`/v1/jobs?state=${st}&limit=100`)));
      const recent = s.jobs.concat(f.jobs).sort((a, b) => (b.updated > a.updated ? 1 : -1)).slice(0, 100);
      fill(sections.queued, q.jobs); fill(sections.running, r.jobs); fill(sections.recent, recent);
      for (const [name, doc] of [["queued", q], ["running", r]])
        main.querySelector(`[data-count="${name}"]`).textContent = `(${doc.total})`;
      main.querySelector('[data-count="recent"]').textContent = `(${s.total} succeeded, ${f.total} failed)`;
      error.textContent = "";
    } catch (e) {
      error.textContent = e.status === 404 ? "Jobs are served by the coordinator's node." : "Cannot list jobs: " + e.message;
    }
  }
  load();
  openStream("", "fleet", () => load());
  return { stop: () => {} };
}

// -- routing ------------------------------------------------------------------

function route() {
  if (page && page.stop) page.stop();
  closeStream();
  delete main.dataset.model;
  delete main.dataset.updates;
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query] = hash.split("?");
  const params = new URLSearchParams(query || "");
  let nav = "fleet";
  if (path.startsWith("/model/")) {
    nav = "";
    page = modelPage(decodeURIComponent(path.slice("/model/".length)));
  } else if (path === "/jobs") {
    nav = "jobs";
    page = jobsPage();
  } else {
    page = fleetPage(params);
  }
  main.dataset.page = nav || "model";
  for (const a of document.querySelectorAll("nav a"))
    a.classList.toggle("active", a.dataset.nav === nav);
}

window.addEventListener("hashchange", route);
window.retrainLoadedAt = Date.now();
route();
