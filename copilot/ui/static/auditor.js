// Auditor page: natural-language search over decided items (GET /v1/audit/search) with filters; each
// result shows the narrative, the reasoning, the decision history and its audit records with their
// hashes and whether the chain verifies. The API decides what the key may see; a refusal is shown.
"use strict";

(() => {
  const { api, h, clear, notice, errorNotice, explain, money, dimLabel, dimOrder, fromKey, shortHash, when, day } = GLC;
  const app = document.getElementById("app");
  const FILTERS = ["entity", "account", "decision", "user", "date_from", "date_to", "amount_min", "amount_max"];
  const state = { config: null, me: null, entities: [], titles: {}, verify: null, verifyError: null, controller: null };

  async function start() {
    try { state.config = await GLC.getConfig(); } catch (err) { clear(app).appendChild(errorNotice(err)); return; }
    const { me } = await GLC.ensureSignedIn(app, { title: "Audit search", intro: "Paste your auditor API key to search the decisions and their audit trail. It is kept only for this browser tab." });
    state.me = me;
    try {
      const lookup = await api("/ui/api/lookup");
      state.entities = lookup.entities;
      state.titles = Object.fromEntries((lookup.accounts || []).map((a) => [a.no, a.title]));
    } catch (_) { /* the search shows any refusal */ }
    render();
    const params = new URLSearchParams(location.search);
    verify();
    if (params.get("q")) search();
  }

  // --- layout ----------------------------------------------------------------------------------

  function render() {
    clear(app);
    app.appendChild(GLC.topbar("auditor", state.me, GLC.signOut));
    const params = new URLSearchParams(location.search);
    const v = (k) => params.get(k) || "";
    const entity = h("select", { id: "f-entity", name: "entity" }, h("option", { value: "", text: "All my entities" }),
      state.entities.map((e) => h("option", { value: e.id, selected: e.id === v("entity"), text: `${e.id} · ${e.name}` })));
    if (v("entity") && !state.entities.some((e) => e.id === v("entity"))) entity.appendChild(h("option", { value: v("entity"), selected: true, text: v("entity") }));
    const decision = h("select", { id: "f-decision", name: "decision" },
      [["", "Any decision"], ["approved", "Approved"], ["edited", "Edited"], ["rejected", "Rejected"]]
        .map(([val, t]) => h("option", { value: val, selected: val === v("decision"), text: t })));
    const input = (id, name, label, props) => h("div", { class: "f" }, h("label", { for: id, text: label }),
      h("input", { id, name, value: v(name), autocomplete: "off", ...props }));
    const form = h("form", { class: "search card", role: "search", "aria-label": "Search the audit trail" },
      h("div", { class: "search-row" },
        h("label", { for: "q", class: "sr-only", text: "Search in plain words" }),
        h("input", { id: "q", name: "q", type: "search", value: v("q"), placeholder: "Search in plain words, e.g. “airfare moved to engineering” or “rejected software licences”", autocomplete: "off" }),
        h("button", { class: "btn primary", type: "submit", text: "Search" })),
      h("div", { class: "filters" },
        h("div", { class: "f" }, h("label", { for: "f-entity", text: "Entity" }), entity),
        input("f-account", "account", "Account", { list: "accounts", placeholder: "e.g. 6100" }),
        h("div", { class: "f" }, h("label", { for: "f-decision", text: "Decision" }), decision),
        input("f-user", "user", "User", { placeholder: "submitted or decided by" }),
        input("f-from", "date_from", "Date from", { type: "date" }),
        input("f-to", "date_to", "Date to", { type: "date" }),
        input("f-min", "amount_min", "Amount from", { inputmode: "decimal", placeholder: "0.00", class: "num" }),
        input("f-max", "amount_max", "Amount to", { inputmode: "decimal", placeholder: "any", class: "num" })),
      h("datalist", { id: "accounts" }, Object.entries(state.titles).map(([no, t]) => h("option", { value: no, label: t }))));
    form.addEventListener("submit", (ev) => { ev.preventDefault(); search(); });
    app.appendChild(h("main", { class: "page" },
      h("div", { class: "page-head" },
        h("div", {}, h("h1", { text: "Audit search" }),
          h("p", { text: "Find decisions by what they were about. Every result cites its review item and the hash-chained audit record of the decision." })),
        h("div", { class: "spacer" }),
        h("div", { id: "chain" })),
      form,
      h("div", { id: "results", "aria-live": "polite" }, emptyState())));
  }

  function emptyState() {
    const examples = ["travel coded to the wrong department", "software subscriptions edited", "meals with clients"];
    return h("div", { class: "empty card" },
      h("h2", { text: "Search the decisions" }),
      h("p", { class: "muted", text: "Searches the narratives, the reasoning, the vendors and memos, and the reviewers’ reasons of every approved, edited or rejected suggestion in your entities." }),
      h("div", { class: "examples" }, h("span", { class: "small muted", text: "Try: " }),
        examples.map((t) => h("button", { class: "btn small", type: "button", text: t, onclick: () => { document.getElementById("q").value = t; search(); } }))));
  }

  // --- the chain -------------------------------------------------------------------------------

  async function verify() {
    const slot = document.getElementById("chain");
    clear(slot).appendChild(h("div", { class: "loading small" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Verifying the audit chain…"));
    try {
      state.verify = await api("/v1/audit/verify");
      state.verifyError = null;
    } catch (err) {
      state.verify = null; state.verifyError = err;
    }
    clear(slot);
    const recheck = h("button", { class: "btn ghost small", type: "button", text: "Verify again", onclick: verify });
    if (state.verify && state.verify.ok) {
      slot.appendChild(h("div", { class: "chain ok", role: "status" },
        h("span", { class: "chain-dot", "aria-hidden": "true" }),
        h("div", {}, h("strong", { text: "Audit chain verified" }),
          h("span", { class: "small muted" }, `${state.verify.records.toLocaleString("en-US")} records · head #${state.verify.head_seq} `,
            h("span", { class: "mono", title: state.verify.head_hash, text: shortHash(state.verify.head_hash) }))), recheck));
    } else if (state.verify) {
      slot.appendChild(h("div", { class: "chain bad", role: "alert" },
        h("span", { class: "chain-dot", "aria-hidden": "true" }),
        h("div", {}, h("strong", { text: `Audit chain BROKEN at record ${state.verify.first_bad_seq}` }), h("span", { class: "small", text: state.verify.reason || "" })), recheck));
    } else {
      const e = explain(state.verifyError);
      slot.appendChild(h("div", { class: "chain unknown" }, h("span", { class: "chain-dot", "aria-hidden": "true" }),
        h("div", {}, h("strong", { text: "Chain not verified" }), h("span", { class: "small muted", text: e.detail })), recheck));
    }
    document.querySelectorAll("[data-seq]").forEach((el) => { clear(el).appendChild(verifyBadge(Number(el.dataset.seq))); });
  }

  function verifyBadge(seq) {
    const v = state.verify;
    if (!v) return h("span", { class: "vstatus unknown", text: "not verified" });
    if (!v.ok && seq >= v.first_bad_seq) return h("span", { class: "vstatus bad", text: `✗ chain broken at #${v.first_bad_seq}` });
    if (seq > v.head_seq) return h("span", { class: "vstatus unknown", text: "newer than the last check" });
    return h("span", { class: "vstatus ok", text: "✓ verified" });
  }

  // --- searching -------------------------------------------------------------------------------

  function formValues() {
    const q = document.getElementById("q").value.trim();
    const values = { q };
    for (const name of FILTERS) {
      const el = document.querySelector(`[name=${name}]`);
      let v = el ? el.value.trim() : "";
      if (name.startsWith("amount")) v = v.replace(/,/g, "");
      values[name] = v;
    }
    return values;
  }

  async function search() {
    const values = formValues();
    const results = document.getElementById("results");
    const u = new URL(location.href);
    u.search = "";
    for (const [k, v] of Object.entries(values)) if (v) u.searchParams.set(k, v);
    history.replaceState(null, "", u);
    if (!values.q) {
      clear(results).appendChild(notice("info", "Type what you are looking for", "The search needs a few words; the filters narrow it down."));
      document.getElementById("q").focus();
      return;
    }
    if (state.controller) state.controller.abort();
    const controller = new AbortController();
    state.controller = controller;
    results.setAttribute("aria-busy", "true");
    clear(results).appendChild(h("div", { class: "loading" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Searching…"));
    try {
      const res = await api("/v1/audit/search", { query: { ...values, limit: 20 }, signal: controller.signal });
      clear(results);
      results.appendChild(h("p", { class: "result-count", role: "status" },
        h("b", { text: `${res.hits.length} ${res.hits.length === 1 ? "result" : "results"}` }), ` for “${res.query}”`, describeFilters(values)));
      if (!res.hits.length) {
        results.appendChild(notice("info", "Nothing found", "No decided item in your entities matches. Loosen a filter or use other words."));
      }
      const list = h("ol", { class: "hits" });
      for (const hit of res.hits) list.appendChild(renderHit(hit));
      results.appendChild(list);
      await Promise.all(res.hits.map((hit) => loadHistory(hit)));
    } catch (err) {
      if (err.name === "AbortError") return;
      const e = explain(err);
      clear(results).appendChild(errorNotice(err, e.status === 403
        ? h("span", { class: "small" }, ` You are signed in as ${GLC.describeWho(state.me)}. The API decides what each key may see.`) : null));
    } finally {
      if (state.controller === controller) { state.controller = null; results.setAttribute("aria-busy", "false"); }
    }
  }

  function describeFilters(values) {
    const labels = { entity: "entity", account: "account", decision: "decision", user: "user", date_from: "from", date_to: "to", amount_min: "amount ≥", amount_max: "amount ≤" };
    const parts = FILTERS.filter((k) => values[k]).map((k) => `${labels[k]} ${values[k]}`);
    return parts.length ? h("span", { class: "muted", text: ` · ${parts.join(" · ")}` }) : null;
  }

  function coding(key, { changed } = {}) {
    const c = fromKey(key);
    if (!c) return h("span", { class: "muted", text: "none" });
    const title = state.titles[c.account_no];
    return h("span", { class: "coding" },
      h("span", { class: `acct ${changed && changed.has("account") ? "changed" : ""}` }, h("b", { class: "num", text: c.account_no }), title ? ` ${title}` : ""),
      dimOrder(Object.keys(c.dims)).filter((k) => k !== "vendor").map((k) =>
        h("span", { class: `chip ${changed && changed.has(k) ? "changed" : ""}` }, `${dimLabel(k)} `, h("b", { text: c.dims[k] }))));
  }

  function changedParts(a, b) {
    const x = fromKey(a), y = fromKey(b);
    const out = new Set();
    if (!x || !y) return out;
    if (x.account_no !== y.account_no) out.add("account");
    for (const k of new Set([...Object.keys(x.dims), ...Object.keys(y.dims)])) if (x.dims[k] !== y.dims[k]) out.add(k);
    return out;
  }

  function renderHit(hit) {
    const labels = { approved: "Approved", edited: "Edited", rejected: "Rejected" };
    const changed = hit.final && hit.suggested ? changedParts(hit.suggested, hit.final) : new Set();
    const codingRows = h("dl", { class: "codings" },
      hit.final ? [h("dt", { text: "Final coding" }), h("dd", {}, coding(hit.final, { changed }))] : [],
      (!hit.final || changed.size) ? [h("dt", { text: hit.final ? "Suggested #1" : "Suggested #1 (rejected)" }), h("dd", {}, coding(hit.suggested))] : []);
    const record = h("aside", { class: "record", "aria-label": `Audit record of review ${hit.review_id}` },
      h("h3", { text: "Audit record" }),
      h("dl", {},
        h("dt", { text: "Record" }), h("dd", { class: "num", text: hit.audit_seq ? `#${hit.audit_seq}` : "–" }),
        h("dt", { text: "Hash" }), h("dd", { class: "mono", title: hit.audit_hash || "", text: shortHash(hit.audit_hash, 16) }),
        h("dt", { text: "Prev hash" }), h("dd", { class: "mono prev-hash", text: "…" }),
        h("dt", { text: "Status" }), h("dd", { dataset: hit.audit_seq ? { seq: String(hit.audit_seq) } : {} }, hit.audit_seq ? verifyBadge(hit.audit_seq) : "–")),
      h("a", { class: "small", href: hit.audit_url || hit.review_url, text: "Raw record (JSON)" }));
    const decided = [hit.decided_by ? `Decided by ${hit.decided_by}` : null, hit.decided_at ? when(hit.decided_at) : null].filter(Boolean).join(" · ");
    return h("li", { class: "hit card", id: `hit-${hit.review_id}`, dataset: { review: String(hit.review_id) } },
      h("header", { class: "hit-head" },
        h("span", { class: `badge ${hit.decision}`, text: labels[hit.decision] || hit.decision }),
        h("div", { class: "hit-title" }, h("strong", { text: hit.vendor || "No vendor" }), h("span", { class: "muted", text: ` — ${hit.memo}` })),
        h("div", { class: "hit-amount num", text: money(hit.amount) }),
        h("div", { class: "hit-when small muted" }, `${day(hit.date)} · `, h("span", { class: "chip", text: hit.entity }))),
      h("div", { class: "hit-body" },
        h("div", { class: "hit-main" },
          codingRows,
          hit.reason ? h("blockquote", { class: "reason" }, h("span", { class: "small muted", text: "Reviewer’s reason" }), h("p", { text: hit.reason })) : null,
          hit.narrative ? h("section", { class: "prose" }, h("h3", { text: "Narrative" }), h("p", { text: hit.narrative })) : null,
          reasoningBlock(hit.reasoning),
          h("details", { class: "history" }, h("summary", { text: "Decision history" }), h("div", { class: "history-body" }, h("p", { class: "small muted", text: "Loading…" }))),
          h("p", { class: "hit-meta small muted", text: [`Review #${hit.review_id}`, `submitted by ${hit.submitted_by}`, decided, `match ${hit.score.toFixed(2)}`].filter(Boolean).join(" · ") })),
        record));
  }

  /** The reasoning, three lines at first: the engine's full text (with every alternative) is long. */
  function reasoningBlock(text) {
    const p = h("p", { class: "clamp", text: tidy(text) });
    const more = h("button", { class: "btn ghost small more", type: "button", "aria-expanded": "false", text: "Show all",
      onclick: () => { const open = p.classList.toggle("clamp"); more.textContent = open ? "Show all" : "Show less"; more.setAttribute("aria-expanded", String(!open)); } });
    const block = h("section", { class: "prose" }, h("h3", { text: "Reasoning" }), p, more);
    // Only offer the toggle when the text is actually cut (checked once it is laid out).
    requestAnimationFrame(() => { if (p.scrollHeight <= p.clientHeight + 2) more.hidden = true; });
    return block;
  }

  function tidy(t) { t = String(t || "").trim(); return t ? t.charAt(0).toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : ".") : "–"; }

  async function loadHistory(hit) {
    const li = document.getElementById(`hit-${hit.review_id}`);
    if (!li) return;
    const body = li.querySelector(".history-body");
    try {
      const records = await api(`/v1/reviews/${hit.review_id}/history`);
      const decision = records.find((r) => r.seq === hit.audit_seq);
      if (decision) li.querySelector(".prev-hash").textContent = shortHash(decision.prev_hash, 16);
      if (decision) li.querySelector(".prev-hash").title = decision.prev_hash;
      const summary = li.querySelector(".history summary");
      summary.textContent = `Decision history · ${records.length} audit ${records.length === 1 ? "record" : "records"}`;
      clear(body).appendChild(h("table", { class: "history-table" },
        h("caption", { class: "sr-only", text: `Audit records of review ${hit.review_id}` }),
        h("thead", {}, h("tr", {}, ["Record", "Action", "By", "When (UTC)", "Hash", "Prev hash", "Status"].map((t) => h("th", { scope: "col", text: t })))),
        h("tbody", {}, records.map((r) => h("tr", {},
          h("td", { class: "num", text: `#${r.seq}` }),
          h("td", {}, h("span", { class: `badge ${actionClass(r.action)}`, text: r.action })),
          h("td", {}, `${r.user_id} `, h("span", { class: "muted", text: `(${r.role})` })),
          h("td", { class: "num", text: when(r.created_at) }),
          h("td", { class: "mono", title: r.hash, text: shortHash(r.hash, 10) }),
          h("td", { class: "mono", title: r.prev_hash, text: shortHash(r.prev_hash, 10) }),
          h("td", { dataset: { seq: String(r.seq) } }, verifyBadge(r.seq)))))),
      records.some((r) => r.diff && Object.keys(r.diff).length) ? h("p", { class: "small" }, h("span", { class: "muted", text: "Changed: " }),
        records.filter((r) => r.diff).flatMap((r) => Object.entries(r.diff).map(([k, d]) => `${dimLabel(k)} ${d.from || "–"} → ${d.to || "–"}`)).join(" · ")) : null);
    } catch (err) {
      clear(body).appendChild(errorNotice(err));
    }
  }

  function actionClass(action) { return { submit: "pending", approve: "approved", edit: "edited", reject: "rejected" }[action] || ""; }

  start();
})();
