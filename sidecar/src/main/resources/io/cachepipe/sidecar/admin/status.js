// The status page: polls status.json and draws the pipeline and its charts as plain SVG.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const WINDOW_MS = 5 * 60 * 1000;

// The pipeline as data flows through it; "part" names a readiness part, "server" a probed server.
const NODES = [
  { id: "postgres", label: "PostgreSQL", server: "postgres" },
  { id: "cdc", label: "cdc", part: "cdc" },
  { id: "kafka", label: "Kafka", server: "kafka" },
  { id: "invalidator", label: "invalidator", part: "invalidator" },
  { id: "redis", label: "Redis", part: "redis" },
  { id: "warmer", label: "warmer", part: "warmer" },
];

function el(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function drawDiagram(status) {
  const svg = document.getElementById("diagram");
  svg.replaceChildren();
  const defs = el("defs");
  const marker = el("marker", { id: "head", viewBox: "0 0 10 10", refX: 9, refY: 5,
    markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  marker.appendChild(el("path", { d: "M0,0 L10,5 L0,10 z", fill: "#656d76" }));
  defs.appendChild(marker);
  svg.appendChild(defs);
  const width = 156, gap = 48, top = 12, height = 84;
  NODES.forEach((n, i) => {
    const x = 10 + i * (width + gap);
    let state, cls, ready = "", reason = "";
    if (n.part) {
      const part = status.parts[n.part];
      if (part) {
        state = part.state;
        ready = String(part.ready);
        reason = part.reason || "";
        cls = part.ready ? "ok" : "bad";
      } else {
        state = "not run here";
        cls = "off";
      }
    } else {
      state = status.servers[n.server];
      cls = /unreachable|no slot/.test(state) ? "bad" : "info";
    }
    const g = el("g", { class: "node " + cls, "data-node": n.id,
      "data-state": state, "data-ready": ready });
    if (n.part) g.setAttribute("data-part", n.part);
    if (reason) g.setAttribute("data-reason", reason);
    g.appendChild(el("rect", { x, y: top, width, height, rx: 8 }));
    g.appendChild(el("text", { class: "name", x: x + width / 2, y: top + 36, "text-anchor": "middle" }, n.label));
    const shown = state.length > 24 ? state.slice(0, 23) + "…" : state;
    const text = el("text", { class: "state", x: x + width / 2, y: top + 62, "text-anchor": "middle" }, shown);
    text.appendChild(el("title", {}, reason ? state + ": " + reason : state));
    g.appendChild(text);
    svg.appendChild(g);
    if (i > 0) {
      svg.appendChild(el("path", { class: "arrow",
        d: `M${x - gap + 4},${top + height / 2} L${x - 4},${top + height / 2}` }));
    }
  });
}

function niceMax(v, base) {
  if (!(v > 0)) return 1;
  if (base) {
    // bytes: a round number of the unit the value is shown in
    let unit = 1;
    while (v >= unit * 1024) unit *= 1024;
    return unit * niceMax(v / unit);
  }
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

// series: [{cls, values: [[t, v|null], ...]}]; format: value -> label.
function drawChart(id, end, series, format, fixedMax, binary) {
  const svg = document.getElementById(id);
  svg.replaceChildren();
  const W = 560, H = 170, L = 60, R = 8, T = 8, B = 22;
  const start = end - WINDOW_MS;
  let max = 0, points = 0;
  for (const s of series) for (const [t, v] of s.values) {
    if (v !== null && t >= start) { max = Math.max(max, v); points++; }
  }
  max = fixedMax || niceMax(max * 1.1, binary);
  const x = t => L + (W - L - R) * (t - start) / WINDOW_MS;
  const y = v => T + (H - T - B) * (1 - v / max);
  for (let i = 0; i <= 4; i++) {
    const v = max * i / 4;
    svg.appendChild(el("line", { class: "grid", x1: L, x2: W - R, y1: y(v), y2: y(v) }));
    svg.appendChild(el("text", { class: "label", x: L - 6, y: y(v) + 4, "text-anchor": "end" }, format(v)));
  }
  for (let m = 0; m <= 5; m++) {
    const t = start + m * 60000;
    svg.appendChild(el("text", { class: "label", x: x(t), y: H - 6,
      "text-anchor": m === 0 ? "start" : m === 5 ? "end" : "middle" }, m === 5 ? "now" : `−${5 - m} min`));
  }
  for (const s of series) {
    let d = "", pen = "M";
    for (const [t, v] of s.values) {
      if (v === null || t < start) { pen = "M"; continue; }
      d += `${pen}${x(t).toFixed(1)},${y(Math.min(v, max)).toFixed(1)} `;
      pen = "L";
    }
    if (d) svg.appendChild(el("path", { class: "line " + s.cls, d }));
  }
  if (points === 0) {
    svg.appendChild(el("text", { class: "empty", x: (L + W) / 2, y: H / 2, "text-anchor": "middle" },
      "no data yet"));
  }
  svg.setAttribute("data-points", points);
}

function last(samples, key) {
  for (let i = samples.length - 1; i >= 0; i--) if (samples[i][key] !== null) return samples[i][key];
  return null;
}

const rate = v => v === 0 ? "0" : v >= 1000 ? (v / 1000).toFixed(1) + "k" : v >= 10 ? v.toFixed(0) : v.toFixed(1);
const ms = v => v === 0 ? "0 ms" : v >= 100 ? v.toFixed(0) + " ms" : v.toFixed(1) + " ms";
function bytes(v) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return (v >= 10 || i === 0 ? v.toFixed(0) : v.toFixed(1)) + " " + units[i];
}
const percent = v => (v * 100).toFixed(0) + " %";

function drawCharts(status) {
  const samples = status.samples;
  const end = samples.length ? samples[samples.length - 1].t : Date.now();
  const series = (key, cls) => ({ cls, values: samples.map(s => [s.t, s[key]]) });
  drawChart("chart-throughput", end,
    [series("changesPerSecond", "s0"), series("evictionsPerSecond", "s1")], rate);
  drawChart("chart-latency", end, [series("latencyP50Ms", "s0"), series("latencyP99Ms", "s2")], ms);
  drawChart("chart-slot", end, [series("slotRetainedBytes", "s3")], bytes, 0, true);
  drawChart("chart-hits", end, [series("hitRatio", "s4")], percent, 1);
  const show = (id, text) => { document.getElementById(id).textContent = text; };
  const c = last(samples, "changesPerSecond"), e = last(samples, "evictionsPerSecond");
  show("now-throughput", c === null ? "" : `${rate(c)} / ${rate(e || 0)} per s`);
  const p50 = last(samples, "latencyP50Ms"), p99 = last(samples, "latencyP99Ms");
  show("now-latency", p50 === null ? "" : `p50 ${ms(p50)}, p99 ${ms(p99)}`);
  const slot = last(samples, "slotRetainedBytes");
  show("now-slot", slot === null ? "" : bytes(slot));
  const hits = last(samples, "hitRatio");
  show("now-hits", hits === null ? "" : percent(hits));
}

function drawTotals(totals) {
  const dl = document.getElementById("totals");
  dl.replaceChildren();
  for (const [k, v] of Object.entries(totals)) {
    const dt = document.createElement("dt");
    dt.textContent = k.replace(/_/g, " ");
    const dd = document.createElement("dd");
    dd.textContent = v.toLocaleString("en");
    dd.setAttribute("data-total", k);
    dl.append(dt, dd);
  }
}

// With cachepipe.admin.token set, the page is opened as /#token=TOKEN: the fragment never leaves
// the browser, and the token goes along as a bearer token with each request for status.json.
function adminToken() {
  const given = new URLSearchParams(location.hash.slice(1)).get("token");
  if (given) {
    sessionStorage.setItem("cachepipe-admin-token", given);
    history.replaceState(null, "", location.pathname);
  }
  return sessionStorage.getItem("cachepipe-admin-token");
}

async function refresh() {
  const badge = document.getElementById("readiness");
  try {
    const token = adminToken();
    const response = await fetch("status.json", {
      cache: "no-store",
      headers: token ? { Authorization: "Bearer " + token } : {},
    });
    if (response.status === 401) {
      badge.dataset.ready = "false";
      badge.textContent = "token required: open this page as /#token=<cachepipe.admin.token>";
      return 5000;
    }
    const status = await response.json();
    badge.dataset.ready = String(status.ready);
    badge.textContent = status.ready ? "ready" : "not ready: " + status.failing
      .map((name) => (status.parts[name] && status.parts[name].reason
        ? name + " (" + status.parts[name].reason + ")" : name))
      .join(", ");
    drawDiagram(status);
    drawCharts(status);
    drawTotals(status.totals);
    document.getElementById("updated").textContent =
      "updated " + new Date().toLocaleTimeString("en-GB");
    return status.interval_ms;
  } catch (e) {
    badge.dataset.ready = "false";
    badge.textContent = "admin port unreachable";
    return 2000;
  }
}

async function loop() {
  const interval = await refresh();
  setTimeout(loop, Math.max(1000, interval || 2000));
}

loop();
