// Small inline-SVG charts for the monitoring dashboard: no library, readable axes, an aria-label that
// states what the chart shows, and a data table behind a "Show data" toggle.
"use strict";

const Charts = (() => {
  const { h } = GLC;
  const W = 560, H = 260;
  const FEW = 5; // decisions below which a period's acceptance rate is drawn hollow
  const M = { top: 16, right: 48, bottom: 36, left: 48 };
  const COLORS = { accent: "#0f62c2", soft: "#cfdcee", grid: "#e8ebef", axis: "#8a96a3", ink: "#3e4c59", good: "#18794e", mid: "#d38b12", low: "#c03a2b", base: "#9aa7b5" };

  function svg(label, height = H, width = W) {
    return h("svg:svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": label, preserveAspectRatio: "xMidYMid meet" },
      h("svg:title", { text: label }));
  }

  const line = (x1, y1, x2, y2, attrs) => h("svg:line", { x1, y1, x2, y2, ...attrs });
  const text = (x, y, t, attrs) => h("svg:text", { x, y, ...attrs, text: t });

  function yAxis(g, scale, ticks, fmt, x0, x1, { right = false } = {}) {
    for (const t of ticks) {
      const y = scale(t);
      if (!right) g.appendChild(line(x0, y, x1, y, { stroke: COLORS.grid, "stroke-width": 1 }));
      g.appendChild(text(right ? x1 + 6 : x0 - 6, y + 4, fmt(t), { "text-anchor": right ? "start" : "end", class: "tick" }));
    }
  }

  function empty(label, message) {
    const s = svg(label, 140);
    s.appendChild(text(W / 2, 74, message, { "text-anchor": "middle", class: "empty-text" }));
    return s;
  }

  /** Ticks from 0 to a round maximum: whole numbers for counts, about four steps. */
  function countTicks(v) {
    const raw = Math.max(1, v) / 4;
    const p = 10 ** Math.floor(Math.log10(raw));
    const step = Math.max(1, [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw));
    const top = Math.ceil(Math.max(1, v) / step) * step;
    const ticks = [];
    for (let t = 0; t <= top + 1e-9; t += step) ticks.push(t);
    return { top, ticks };
  }

  function niceMax(v) {
    if (v <= 0) return 1;
    const p = 10 ** Math.floor(Math.log10(v));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  const pct = (v) => `${Math.round(v * 100)}%`;
  const shortDate = (iso) => new Date(`${iso}T00:00:00Z`).toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone: "UTC" });

  /** Daily points summed by ISO week (Monday), for spans too long to read day by day. */
  function byWeek(points) {
    const weeks = new Map();
    for (const p of points) {
      const d = new Date(`${p.date}T00:00:00Z`);
      d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
      const key = d.toISOString().slice(0, 10);
      const w = weeks.get(key) || { date: key, decided: 0, accepted: 0 };
      w.decided += p.decided; w.accepted += p.accepted;
      weeks.set(key, w);
    }
    return [...weeks.values()].map((w) => ({ ...w, rate: w.accepted / w.decided }));
  }

  /** Acceptance rate per day or week (line) over the number of decisions (bars); a dashed alert line. */
  function acceptance(daily, threshold) {
    const days = daily.length ? (Date.parse(daily[daily.length - 1].date) - Date.parse(daily[0].date)) / 86400000 : 0;
    const unit = days > 35 ? "week" : "day";
    const points = unit === "week" ? byWeek(daily) : daily;
    const label = points.length
      ? `Acceptance rate by ${unit}, ${shortDate(points[0].date)} to ${shortDate(points[points.length - 1].date)}; latest ${pct(points[points.length - 1].rate)} of ${points[points.length - 1].decided} decisions`
      : "Acceptance rate: no decisions yet";
    if (!points.length) return empty(label, "No decisions yet");
    const s = svg(label);
    const x0 = M.left, x1 = W - M.right, y0 = H - M.bottom, y1 = M.top;
    const t0 = Date.parse(points[0].date), t1 = Date.parse(points[points.length - 1].date);
    const step = unit === "week" ? 7 * 86400000 : 86400000;
    const span = Math.max(t1 - t0, step);
    const slot = Math.max(2, Math.min(unit === "week" ? 30 : 14, ((x1 - x0) / (span / step + 1)) * 0.7));
    const x = (d) => x0 + slot / 2 + ((Date.parse(d) - t0) / span) * (x1 - x0 - slot);
    const y = (r) => y0 - r * (y0 - y1);
    const { top: nMax, ticks } = countTicks(Math.max(...points.map((p) => p.decided)));
    const yn = (n) => y0 - (n / nMax) * (y0 - y1);
    const g = h("svg:g", {});
    yAxis(g, y, [0, 0.25, 0.5, 0.75, 1], pct, x0, x1);
    yAxis(g, yn, ticks.length > 3 ? [0, ticks[Math.floor(ticks.length / 2)], nMax] : ticks, (v) => v.toLocaleString("en-US"), x0, x1, { right: true });
    for (const p of points) {
      g.appendChild(h("svg:rect", { x: x(p.date) - slot / 2, y: yn(p.decided), width: slot, height: y0 - yn(p.decided), fill: COLORS.soft, rx: 1.5 },
        h("svg:title", { text: `${unit === "week" ? "week of " : ""}${p.date}: ${p.decided} decisions` })));
    }
    if (threshold !== undefined && threshold !== null) {
      g.appendChild(line(x0, y(threshold), x1, y(threshold), { stroke: COLORS.low, "stroke-dasharray": "4 4", "stroke-width": 1.2 }));
      g.appendChild(text(x0 + 4, y(threshold) - 5, `alert below ${pct(threshold)}`, { class: "tick alert-label" }));
    }
    // A rate over a handful of decisions is noise: such points are hollow and the line skips them.
    const solid = points.filter((p) => p.decided >= FEW);
    const path = solid.map((p, i) => `${i ? "L" : "M"}${x(p.date).toFixed(1)},${y(p.rate).toFixed(1)}`).join(" ");
    if (solid.length > 1) g.appendChild(h("svg:path", { d: path, fill: "none", stroke: COLORS.accent, "stroke-width": 2, "stroke-linejoin": "round" }));
    for (const p of points) {
      const few = p.decided < FEW;
      g.appendChild(h("svg:circle", { cx: x(p.date), cy: y(p.rate), r: points.length > 45 ? 2 : 3,
        fill: few ? "#fff" : COLORS.accent, stroke: COLORS.accent, "stroke-width": few ? 1.5 : 0 },
        h("svg:title", { text: `${unit === "week" ? "week of " : ""}${p.date}: ${pct(p.rate)} accepted (${p.accepted} of ${p.decided})${few ? " - too few decisions to read much into" : ""}` })));
    }
    const n = Math.min(6, points.length);
    for (let i = 0; i < n; i++) {
      const p = points[Math.round((i * (points.length - 1)) / Math.max(1, n - 1))];
      g.appendChild(text(x(p.date), y0 + 18, shortDate(p.date), { "text-anchor": "middle", class: "tick" }));
    }
    g.appendChild(line(x0, y0, x1, y0, { stroke: COLORS.axis }));
    g.appendChild(text(12, (y0 + y1) / 2, "accepted", { class: "axis-title", transform: `rotate(-90 12 ${(y0 + y1) / 2})`, "text-anchor": "middle" }));
    g.appendChild(text(W - 8, (y0 + y1) / 2, "decisions", { class: "axis-title", transform: `rotate(90 ${W - 8} ${(y0 + y1) / 2})`, "text-anchor": "middle" }));
    s.appendChild(g);
    return s;
  }

  /** Suggestions per confidence bin; bins below the review threshold are drawn in the low colour. */
  function histogram(hist, reviewThreshold) {
    const total = hist.counts.reduce((a, b) => a + b, 0);
    const label = `Confidence of the top suggestion: ${total} suggestions in ${hist.counts.length} bins`;
    if (!total) return empty(label, "No suggestions yet");
    const s = svg(label);
    const x0 = M.left, x1 = W - M.right + 30, y0 = H - M.bottom, y1 = M.top;
    const { top: max, ticks } = countTicks(Math.max(...hist.counts));
    const y = (v) => y0 - (v / max) * (y0 - y1);
    const bw = (x1 - x0) / hist.counts.length;
    const g = h("svg:g", {});
    yAxis(g, y, ticks, (v) => v.toLocaleString("en-US"), x0, x1);
    hist.counts.forEach((c, i) => {
      const lo = hist.edges[i], hi = hist.edges[i + 1];
      const color = hi <= reviewThreshold ? COLORS.low : lo >= 0.8 ? COLORS.good : COLORS.mid;
      g.appendChild(h("svg:rect", { x: x0 + i * bw + 3, y: y(c), width: bw - 6, height: y0 - y(c), fill: color, opacity: 0.85, rx: 2 },
        h("svg:title", { text: `${pct(lo)}–${pct(hi)}: ${c} suggestions` })));
      if (c) g.appendChild(text(x0 + i * bw + bw / 2, y(c) - 4, String(c), { "text-anchor": "middle", class: "tick value" }));
    });
    for (let i = 0; i <= hist.counts.length; i += 2) {
      g.appendChild(text(x0 + i * bw, y0 + 18, pct(hist.edges[i]), { "text-anchor": "middle", class: "tick" }));
    }
    g.appendChild(line(x0, y0, x1, y0, { stroke: COLORS.axis }));
    const xt = x0 + (reviewThreshold * (x1 - x0));
    g.appendChild(line(xt, y1, xt, y0, { stroke: COLORS.ink, "stroke-dasharray": "3 3" }));
    g.appendChild(text(xt + 4, y1 + 10, `review below ${pct(reviewThreshold)}`, { class: "tick" }));
    g.appendChild(text(12, (y0 + y1) / 2, "suggestions", { class: "axis-title", transform: `rotate(-90 12 ${(y0 + y1) / 2})`, "text-anchor": "middle" }));
    s.appendChild(g);
    return s;
  }

  /** Reliability diagram: mean confidence against how often the top suggestion was accepted. */
  function calibration(cal) {
    const bins = cal.bins.filter((b) => b.n > 0);
    const label = `Calibration: ${bins.length} confidence bins with decisions; expected calibration error ${cal.ece === null ? "not available" : cal.ece.toFixed(3)}`;
    if (!bins.length) return empty(label, "No decisions yet");
    const s = svg(label);
    const size = H - M.top - M.bottom;
    const x0 = M.left + 40, x1 = x0 + size, y0 = H - M.bottom, y1 = M.top;
    const x = (v) => x0 + v * (x1 - x0), y = (v) => y0 - v * (y0 - y1);
    const g = h("svg:g", {});
    yAxis(g, y, [0, 0.25, 0.5, 0.75, 1], pct, x0, x1);
    for (const t of [0, 0.25, 0.5, 0.75, 1]) {
      g.appendChild(line(x(t), y1, x(t), y0, { stroke: COLORS.grid }));
      g.appendChild(text(x(t), y0 + 18, pct(t), { "text-anchor": "middle", class: "tick" }));
    }
    g.appendChild(line(x(0), y(0), x(1), y(1), { stroke: COLORS.base, "stroke-dasharray": "5 4" }));
    const maxN = Math.max(...bins.map((b) => b.n));
    const solid = bins.filter((b) => b.n >= FEW);  // as in the acceptance chart: a few decisions are noise
    const path = solid.map((b, i) => `${i ? "L" : "M"}${x(b.mean_confidence).toFixed(1)},${y(b.accuracy).toFixed(1)}`).join(" ");
    if (solid.length > 1) g.appendChild(h("svg:path", { d: path, fill: "none", stroke: COLORS.accent, "stroke-width": 2 }));
    for (const b of bins) {
      const few = b.n < FEW;
      g.appendChild(h("svg:circle", { cx: x(b.mean_confidence), cy: y(b.accuracy), r: 3 + 5 * Math.sqrt(b.n / maxN),
        fill: few ? "#fff" : COLORS.accent, "fill-opacity": few ? 1 : 0.8, stroke: few ? COLORS.accent : "#fff", "stroke-width": 1.5 },
        h("svg:title", { text: `confidence ${pct(b.lo)}–${pct(b.hi)}: mean ${pct(b.mean_confidence)}, accepted ${pct(b.accuracy)} of ${b.n}${few ? " (too few to read much into)" : ""}` })));
    }
    g.appendChild(line(x0, y0, x1, y0, { stroke: COLORS.axis }));
    g.appendChild(text((x0 + x1) / 2, H - 4, "stated confidence", { class: "axis-title", "text-anchor": "middle" }));
    g.appendChild(text(x0 - 40, (y0 + y1) / 2, "accepted", { class: "axis-title", transform: `rotate(-90 ${x0 - 40} ${(y0 + y1) / 2})`, "text-anchor": "middle" }));
    // Legend on the right: what the dots mean.
    const lx = x1 + 36;
    g.appendChild(line(lx, y1 + 10, lx + 22, y1 + 10, { stroke: COLORS.base, "stroke-dasharray": "5 4" }));
    g.appendChild(text(lx + 30, y1 + 14, "perfectly calibrated", { class: "tick" }));
    g.appendChild(h("svg:circle", { cx: lx + 11, cy: y1 + 32, r: 5, fill: COLORS.accent, "fill-opacity": 0.8 }));
    g.appendChild(text(lx + 30, y1 + 36, "a confidence bin, sized", { class: "tick" }));
    g.appendChild(text(lx + 30, y1 + 50, `by its decisions (hollow: < ${FEW})`, { class: "tick" }));
    g.appendChild(text(lx, y1 + 76, "Below the diagonal: over-confident;", { class: "tick" }));
    g.appendChild(text(lx, y1 + 92, "above it: under-confident.", { class: "tick" }));
    if (cal.ece !== null) {
      g.appendChild(text(lx, y1 + 128, `ECE ${cal.ece.toFixed(3)}`, { class: "big-number" }));
      g.appendChild(text(lx, y1 + 146, `over ${cal.n} decisions`, { class: "tick" }));
    }
    s.appendChild(g);
    return s;
  }

  /** Baseline and recent share of the accounts that moved most (paired horizontal bars). */
  function drift(ad, titles) {
    const rows = ad.top_shifts || [];
    const label = `Account drift: PSI ${ad.psi === null ? "not available" : ad.psi.toFixed(3)}; ${rows.length} accounts that moved most`;
    if (!rows.length) return empty(label, "Not enough decisions in both windows yet");
    const rowH = 22;
    const height = M.top + rows.length * rowH + 34;
    const s = svg(label, height);
    const x0 = 176, x1 = W - 60;
    const max = niceMax(Math.max(...rows.flatMap((r) => [r.baseline_share, r.recent_share])));
    const x = (v) => x0 + (v / max) * (x1 - x0);
    const g = h("svg:g", {});
    for (const t of [0, max / 2, max]) {
      g.appendChild(line(x(t), M.top - 4, x(t), M.top + rows.length * rowH, { stroke: COLORS.grid }));
      g.appendChild(text(x(t), M.top + rows.length * rowH + 14, pct(t), { "text-anchor": "middle", class: "tick" }));
    }
    rows.forEach((r, i) => {
      const top = M.top + i * rowH;
      const name = titles && titles[r.account] ? `${r.account} ${titles[r.account]}` : r.account;
      g.appendChild(text(x0 - 8, top + 14, name.length > 26 ? `${name.slice(0, 25)}…` : name, { "text-anchor": "end", class: "tick label" },
      ));
      g.appendChild(h("svg:rect", { x: x0, y: top + 3, width: Math.max(1, x(r.baseline_share) - x0), height: 7, fill: COLORS.base, rx: 1.5 },
        h("svg:title", { text: `${name}: baseline ${pct(r.baseline_share)}` })));
      g.appendChild(h("svg:rect", { x: x0, y: top + 11, width: Math.max(1, x(r.recent_share) - x0), height: 7, fill: COLORS.accent, rx: 1.5 },
        h("svg:title", { text: `${name}: recent ${pct(r.recent_share)}` })));
      const d = r.recent_share - r.baseline_share;
      g.appendChild(text(x1 + 6, top + 15, `${d >= 0 ? "+" : "−"}${Math.abs(d * 100).toFixed(1)} pt`, { class: `tick ${Math.abs(d) >= 0.05 ? "strong" : ""}` }));
    });
    const ly = height - 8;
    g.appendChild(h("svg:rect", { x: x0, y: ly - 8, width: 10, height: 8, fill: COLORS.base, rx: 1.5 }));
    g.appendChild(text(x0 + 14, ly, "baseline share", { class: "tick" }));
    g.appendChild(h("svg:rect", { x: x0 + 110, y: ly - 8, width: 10, height: 8, fill: COLORS.accent, rx: 1.5 }));
    g.appendChild(text(x0 + 124, ly, "recent share", { class: "tick" }));
    s.appendChild(g);
    return s;
  }

  /** Edit rate per dimension against the alert threshold (horizontal bars). */
  function editRates(rates, threshold) {
    const keys = Object.keys(rates).sort((a, b) => rates[b].rate - rates[a].rate);
    const label = `Edit rate by dimension: ${keys.map((k) => `${k} ${pct(rates[k].rate)}`).join(", ") || "no decisions yet"}`;
    if (!keys.length) return empty(label, "No decisions yet");
    const rowH = 24, width = 2 * W;  // drawn across the page: twice as wide, same text size
    const height = M.top + keys.length * rowH + 24;
    const s = svg(label, height, width);
    const x0 = 120, x1 = width - 140;
    const x = (v) => x0 + v * (x1 - x0);
    const g = h("svg:g", {});
    for (const t of [0, 0.25, 0.5, 0.75, 1]) {
      g.appendChild(line(x(t), M.top - 4, x(t), M.top + keys.length * rowH, { stroke: COLORS.grid }));
      g.appendChild(text(x(t), M.top + keys.length * rowH + 14, pct(t), { "text-anchor": "middle", class: "tick" }));
    }
    keys.forEach((k, i) => {
      const r = rates[k];
      const top = M.top + i * rowH;
      g.appendChild(text(x0 - 8, top + 14, k, { "text-anchor": "end", class: "tick label" }));
      g.appendChild(h("svg:rect", { x: x0, y: top + 4, width: Math.max(1, x(r.rate) - x0), height: 12, rx: 2, fill: r.rate > threshold ? COLORS.low : COLORS.accent, opacity: 0.85 },
        h("svg:title", { text: `${k}: edited in ${r.edited} of ${r.n} decisions` })));
      g.appendChild(text(x1 + 8, top + 14, `${pct(r.rate)} of ${r.n}`, { class: "tick" }));
    });
    g.appendChild(line(x(threshold), M.top - 6, x(threshold), M.top + keys.length * rowH, { stroke: COLORS.low, "stroke-dasharray": "4 3" }));
    s.appendChild(g);
    return s;
  }

  /** A plain table of the numbers behind a chart, behind a disclosure. */
  function dataTable(caption, headers, rows) {
    return h("details", { class: "chart-data" },
      h("summary", { text: "Show data" }),
      h("table", {},
        h("caption", { class: "sr-only", text: caption }),
        h("thead", {}, h("tr", {}, headers.map((t) => h("th", { scope: "col", text: t })))),
        h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", { text: c })))))));
  }

  return { acceptance, histogram, calibration, drift, editRates, dataTable };
})();
