// Monitoring dashboard: GET /v1/metrics/summary drawn as tiles and inline-SVG charts.
"use strict";

(() => {
  const { api, h, clear, notice, errorNotice, pct } = GLC;
  const app = document.getElementById("app");
  const state = { config: null, me: null, entity: new URLSearchParams(location.search).get("entity") || "", entities: [], titles: {} };

  async function start() {
    try { state.config = await GLC.getConfig(); } catch (err) { clear(app).appendChild(errorNotice(err)); return; }
    const { me } = await GLC.ensureSignedIn(app, { title: "Monitoring", intro: "Paste an approver, auditor or admin API key to see how the suggestions are received. It is kept only for this browser tab." });
    state.me = me;
    try {
      const lookup = await api("/ui/api/lookup");
      state.entities = lookup.entities;
      state.titles = Object.fromEntries((lookup.accounts || []).map((a) => [a.no, a.title]));
    } catch (_) { /* the summary call below shows any refusal */ }
    render();
    load();
  }

  function render() {
    clear(app);
    app.appendChild(GLC.topbar("monitoring", state.me, GLC.signOut));
    const select = h("select", { id: "entity", onchange: (ev) => { state.entity = ev.target.value; syncUrl(); load(); } },
      h("option", { value: "", text: "All my entities" }),
      state.entities.map((e) => h("option", { value: e.id, selected: e.id === state.entity, text: `${e.id} · ${e.name}` })));
    if (state.entity && !state.entities.some((e) => e.id === state.entity)) select.appendChild(h("option", { value: state.entity, selected: true, text: state.entity }));
    app.appendChild(h("main", { class: "page", id: "main" },
      h("div", { class: "page-head" },
        h("div", {}, h("h1", { text: "Monitoring" }),
          h("p", { id: "window-text", text: "How reviewers receive the suggestions: acceptance, confidence, calibration and drift." })),
        h("div", { class: "spacer" }),
        h("div", { class: "head-control" }, h("label", { for: "entity", text: "Entity" }), select),
        h("button", { class: "btn", type: "button", onclick: load, text: "Refresh" })),
      h("div", { id: "content", "aria-live": "polite", "aria-busy": "true" },
        h("div", { class: "loading" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Loading the numbers…"))));
  }

  function syncUrl() {
    const u = new URL(location.href);
    if (state.entity) u.searchParams.set("entity", state.entity); else u.searchParams.delete("entity");
    history.replaceState(null, "", u);
  }

  async function load() {
    const content = document.getElementById("content");
    content.setAttribute("aria-busy", "true");
    try {
      const s = await api("/v1/metrics/summary", { query: { entity: state.entity } });
      clear(content).appendChild(dashboard(s));
    } catch (err) {
      const e = GLC.explain(err);
      clear(content).appendChild(errorNotice(err, e.status === 403 ? h("span", { class: "small" }, ` You are signed in as ${GLC.describeWho(state.me)}.`) : null));
    }
    content.setAttribute("aria-busy", "false");
  }

  function tile(label, value, sub, tone) {
    return h("div", { class: `tile card ${tone || ""}` },
      h("div", { class: "tile-label", text: label }),
      h("div", { class: "tile-value num", text: value }),
      sub ? h("div", { class: "tile-sub small", text: sub }) : null);
  }

  function delta(recent, baseline) {
    if (recent === null || baseline === null || recent === undefined || baseline === undefined) return null;
    const d = (recent - baseline) * 100;
    return `${d >= 0 ? "+" : "−"}${Math.abs(d).toFixed(1)} pt vs baseline (${pct(baseline)})`;
  }

  function panel(title, subtitle, chart, table) {
    return h("section", { class: "panel card" },
      h("div", { class: "panel-head" }, h("h2", { text: title }), subtitle ? h("p", { class: "small muted", text: subtitle }) : null),
      chart, table || null);
  }

  function dashboard(s) {
    const a = state.config.alerts;
    const w = s.window;
    const c = s.counts;
    document.getElementById("window-text").textContent =
      `Recent window: the last ${w.recent_days} days (${w.recent_decisions} decisions), compared with the ${w.baseline_days} days before (${w.baseline_decisions}).`;
    const out = h("div", { class: "dash" });

    const alerts = h("div", { class: "alerts" });
    if (s.alerts.length) {
      for (const al of s.alerts) alerts.appendChild(notice("warn", alertTitle(al.alert), `${capitalize(al.message)} (threshold ${al.threshold}).`));
    } else {
      alerts.appendChild(notice("ok", "No alerts", `Alerts need at least ${a.min_samples} decisions in a window; acceptance, edit rates, calibration and drift are within their thresholds.`));
    }
    out.appendChild(alerts);

    const firing = new Set(s.alerts.map((al) => al.alert.split(":")[0]));
    const accRecent = s.acceptance_rate_recent;
    const ad = s.account_drift, cd = s.calibration_drift;
    out.appendChild(h("div", { class: "tiles" },
      tile("Accepted unchanged · recent", pct(accRecent), delta(accRecent, s.acceptance_rate_baseline) || `all time ${pct(s.acceptance_rate)}`,
        firing.has("low_acceptance") ? "bad" : ""),
      tile("In the top 3", pct(s.top3_hit_rate), "final coding among the three suggestions"),
      tile("Decisions", c.decided.toLocaleString("en-US"), `${c.approved} approved · ${c.edited} edited · ${c.rejected} rejected · ${c.pending} pending`),
      tile("Calibration error (ECE)", cd.recent_ece === null ? "–" : cd.recent_ece.toFixed(3),
        cd.baseline_ece === null ? "recent window" : `baseline ${cd.baseline_ece.toFixed(3)} · alert above +${a.max_calibration_drift}`,
        firing.has("calibration_drift") ? "bad" : ""),
      tile("Account drift (PSI)", ad.psi === null ? "–" : ad.psi.toFixed(3), `alert above ${a.max_psi} · ${ad.recent_n} recent, ${ad.baseline_n} baseline`,
        firing.has("account_drift") ? "bad" : "")));

    const over = s.acceptance_over_time;
    const hist = s.confidence_histogram;
    const cal = s.calibration;
    out.appendChild(h("div", { class: "panels" },
      panel("Acceptance over time", "Share of decisions that kept suggestion #1 unchanged (line) and the number of decisions (bars), per day, or per week over longer spans.",
        Charts.acceptance(over, a.min_acceptance_rate),
        Charts.dataTable("Acceptance by day", ["Date", "Decisions", "Accepted", "Rate"], over.map((p) => [p.date, p.decided, p.accepted, pct(p.rate, 1)]))),
      panel("Confidence of suggestion #1", `All submitted suggestions; below ${pct(state.config.review_confidence_threshold)} they are flagged for a closer look.`,
        Charts.histogram(hist, state.config.review_confidence_threshold),
        Charts.dataTable("Confidence histogram", ["From", "To", "Suggestions"], hist.counts.map((n, i) => [pct(hist.edges[i]), pct(hist.edges[i + 1]), n]))),
      panel("Calibration", "Does 80% confident mean accepted 80% of the time? Points on the diagonal are well calibrated.",
        Charts.calibration(cal),
        Charts.dataTable("Calibration bins", ["Bin", "Decisions", "Mean confidence", "Accepted"],
          cal.bins.filter((b) => b.n).map((b) => [`${pct(b.lo)}–${pct(b.hi)}`, b.n, pct(b.mean_confidence, 1), pct(b.accuracy, 1)]))),
      panel("Account drift", ad.psi === null ? "Final accounts in the recent window against the baseline."
        : `PSI ${ad.psi.toFixed(3)}: final accounts in the recent window against the baseline (alert above ${a.max_psi}).`,
        Charts.drift(ad, state.titles),
        Charts.dataTable("Account shares", ["Account", "Baseline", "Recent"], (ad.top_shifts || []).map((r) => [r.account, pct(r.baseline_share, 1), pct(r.recent_share, 1)])))));

    out.appendChild(panel("Edit rate by dimension", `How often reviewers changed each part of suggestion #1 (all decisions); alert above ${pct(a.max_edit_rate)} in the recent window.`,
      Charts.editRates(s.edit_rate, a.max_edit_rate)));
    out.appendChild(h("p", { class: "small muted foot", text: `Generated ${GLC.when(s.generated_at)} · entities: ${s.entities === "*" ? "all" : s.entities.join(", ")} · Prometheus metrics at /metrics` }));
    return out;
  }

  function alertTitle(name) {
    const [kind, dim] = name.split(":");
    const titles = { low_acceptance: "Low acceptance", high_edit_rate: "High edit rate", calibration_drift: "Calibration drift", account_drift: "Account drift" };
    return (titles[kind] || kind) + (dim ? ` · ${dim}` : "");
  }

  function capitalize(t) { return t ? t.charAt(0).toUpperCase() + t.slice(1) : t; }

  start();
})();
