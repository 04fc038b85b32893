// The sidebar assistant: a narrow panel beside Intacct's journal-entry screen.
//
// As the user types a line's vendor, memo and amount it asks POST /v1/suggestions (debounced, stale
// requests aborted) and shows the top-3 codings with confidence. Accepting, editing or rejecting goes
// through the review API (POST /v1/reviews, then approve / edit / reject), so the audit trail records
// every choice. The host page can pass the entry in the URL (#entry=<JSON>) or by postMessage; the
// contract is in docs/ui.md.
"use strict";

(() => {
  const { api, h, clear, notice, errorNotice, explain, money, pct, level, confidenceBar, session, dimLabel, dimOrder } = GLC;
  const DEBOUNCE_MS = 300;
  const VERSION = 1;
  const app = document.getElementById("app");
  const announcer = document.getElementById("announcer");

  const state = {
    config: null, me: null, approver: null, company: "", entity: "", date: "", lookup: null,
    lookupError: null, lines: [], nextId: 1, hostOrigin: null, explanationsNote: null, menuOpen: false,
    ready: false, pendingEntry: null,
  };

  function say(text) { announcer.textContent = ""; setTimeout(() => { announcer.textContent = text; }, 30); }

  // --- host page: URL parameters and postMessage ---------------------------------------------

  function allowedOrigin(origin) {
    return origin === location.origin || (state.config && state.config.host_origins.includes(origin));
  }

  function postToHost(message) {
    if (window.parent === window) return;
    let target = state.hostOrigin;
    if (!target && document.referrer) {
      try { const o = new URL(document.referrer).origin; if (allowedOrigin(o)) target = o; } catch (_) { /* no referrer */ }
    }
    if (target) window.parent.postMessage({ ...message, source: "glcopilot" }, target);
  }

  function entryFromUrl() {
    const params = new URLSearchParams(location.search);
    const hash = new URLSearchParams(location.hash.replace(/^#/, ""));
    let entry = {};
    const raw = hash.get("entry") || params.get("entry");
    if (raw) {
      try { entry = JSON.parse(raw); } catch (_) { entry = { error: "The entry in the address is not valid JSON." }; }
    }
    for (const k of ["company", "entity", "date"]) if (params.get(k) && !entry[k]) entry[k] = params.get(k);
    if (!entry.lines && (params.get("vendor") || params.get("memo") || params.get("amount"))) {
      entry.lines = [{ vendor: params.get("vendor") || "", memo: params.get("memo") || "", amount: params.get("amount") || "" }];
    }
    return entry;
  }

  function onMessage(ev) {
    if (!allowedOrigin(ev.origin) || !ev.data || typeof ev.data !== "object") return;
    const msg = ev.data;
    if (typeof msg.type !== "string" || !msg.type.startsWith("glcopilot:")) return;
    if (ev.origin !== location.origin || window.parent !== window) state.hostOrigin = ev.origin;
    if (msg.type === "glcopilot:auth") {
      if (msg.apiKey) session.set("api", String(msg.apiKey));
      if (msg.approverKey !== undefined) session.set("approver", String(msg.approverKey || ""));
      start();
    } else if (msg.type === "glcopilot:entry" && msg.entry) {
      loadEntry(msg.entry);
    } else if (msg.type === "glcopilot:line" && Number.isInteger(msg.index) && msg.line && state.ready) {
      const line = state.lines[msg.index];
      if (line) { Object.assign(line, normalizeLine(msg.line)); renderLine(line, true); changed(line); }
      else { addLine(msg.line); }
    }
  }

  // --- the draft entry -------------------------------------------------------------------------

  function normalizeLine(src) {
    src = src || {};
    const dims = {};
    for (const [k, v] of Object.entries(src.dims || {})) if (v) dims[String(k).toLowerCase()] = String(v);
    return {
      vendor: String(src.vendor || ""), memo: String(src.memo || ""),
      amount: src.amount === undefined || src.amount === null ? "" : String(src.amount),
      tr_type: Number(src.tr_type) === -1 ? -1 : 1, dims,
    };
  }

  function newLine(src) {
    return {
      id: state.nextId++, ...normalizeLine(src), status: "idle", suggestion: null, error: null, active: 0,
      review: null, decision: null, coding: null, mode: null, controller: null, seq: 0, el: null, amountError: null,
    };
  }

  function loadEntry(entry) {
    if (!state.ready) { state.pendingEntry = entry; return; } // applied once signed in and loaded
    if (entry.error) { showEntryError(entry.error); return; }
    if (entry.company) state.company = String(entry.company);
    if (entry.date) state.date = String(entry.date).slice(0, 10);
    const lines = Array.isArray(entry.lines) && entry.lines.length ? entry.lines : [{}];
    for (const l of state.lines) if (l.controller) l.controller.abort();
    state.lines = lines.map(newLine);
    if (entry.entity && entry.entity !== state.entity) {
      // A new entity: its lookup (which the API may refuse) comes first, then the lines are asked for.
      state.entity = String(entry.entity);
      renderAll();
      loadLookup();
      return;
    }
    renderAll();
    for (const l of state.lines) changed(l, true);
  }

  function addLine(src, focus) {
    const line = newLine(src);
    state.lines.push(line);
    const list = document.getElementById("lines");
    if (list) list.appendChild(renderLine(line));
    renderTotals();
    if (focus) line.el.querySelector("input").focus();
    if (src) changed(line, true);
    return line;
  }

  function removeLine(line) {
    if (line.controller) line.controller.abort();
    const i = state.lines.indexOf(line);
    state.lines.splice(i, 1);
    line.el.remove();
    state.lines.forEach((l) => renderLine(l, true));
    if (!state.lines.length) addLine(null, true);
    renderTotals();
    say(`Line ${i + 1} removed`);
  }

  function parseAmount(text) {
    const t = String(text || "").trim().replace(/,/g, "");
    if (!t) return { value: null };
    if (!/^\d+(\.\d{1,2})?$/.test(t)) {
      return { error: t.startsWith("-") ? "Enter a positive amount; use Credit for credits." : "Enter an amount like 1250.00." };
    }
    return { value: t };
  }

  // --- asking for suggestions ------------------------------------------------------------------

  const schedule = new Map();

  /** The user (or the host) changed a line: forget its decision and ask again after a pause. */
  function changed(line, now) {
    if (line.decision) { line.decision = null; line.review = null; line.coding = null; }
    line.mode = null;
    const amount = parseAmount(line.amount);
    line.amountError = amount.error || null;
    if (!line.vendor.trim() && line.memo.trim().length < 2) {
      if (line.controller) line.controller.abort();
      line.status = "idle"; line.suggestion = null; line.error = null;
      renderResults(line);
      return;
    }
    if (!schedule.has(line.id)) schedule.set(line.id, GLC.debounce(() => ask(line), DEBOUNCE_MS));
    schedule.get(line.id).cancel();
    if (now) ask(line); else schedule.get(line.id)();
  }

  async function ask(line) {
    if (!state.lines.includes(line) || state.lookupError) return;
    if (line.controller) line.controller.abort();
    const controller = new AbortController();
    line.controller = controller;
    const seq = ++line.seq;
    line.status = "loading"; line.error = null;
    renderResults(line);
    const amount = parseAmount(line.amount);
    const body = {
      company: state.company || undefined, entity: state.entity,
      line: { vendor: line.vendor.trim() || null, memo: line.memo.trim(), amount: amount.value, tr_type: line.tr_type,
        date: state.date || null, dims: line.dims },
    };
    try {
      const res = await api("/v1/suggestions", { method: "POST", body, signal: controller.signal });
      if (seq !== line.seq) return; // a newer request owns the line
      line.suggestion = res.suggestions[0];
      line.status = "ready"; line.active = 0;
      noteExplanations(line.suggestion);
      const top = line.suggestion.codings[0];
      say(top ? `Line ${index(line) + 1}: ${line.suggestion.codings.length} suggestions, top ${top.combination.account_no} at ${pct(top.confidence)}`
        : `Line ${index(line) + 1}: no suggestion`);
    } catch (err) {
      if (err.name === "AbortError" || seq !== line.seq) return;
      // The old suggestions were for what the line said before: do not leave them on screen.
      line.status = "error"; line.error = err; line.suggestion = null;
      say(`Line ${index(line) + 1}: ${explain(err).detail}`);
    } finally {
      if (line.controller === controller) line.controller = null;
    }
    renderResults(line);
  }

  function noteExplanations(s) {
    let note = null;
    if (s.generated_by === "deterministic") {
      note = state.config.llm_configured
        ? `Explanations from templates: the LLM was not used${s.fallback_reason ? ` (${s.fallback_reason})` : ""}.`
        : "Explanations from templates; no LLM configured.";
    }
    if (note !== state.explanationsNote) {
      state.explanationsNote = note;
      const slot = document.getElementById("explanations");
      if (slot) { clear(slot); if (note) slot.appendChild(h("p", { class: "llm-note", text: note })); }
    }
  }

  // --- deciding: submit, then approve / edit / reject ------------------------------------------

  function deciderKey() {
    if (state.approver) return session.get("approver");
    return state.me && (state.me.role === "approver" || state.me.role === "admin") ? session.get("api") : null;
  }

  async function decide(line, action, { index: i = line.active, final, reason } = {}) {
    const s = line.suggestion;
    if (!s || line.busy) return;
    line.busy = true; line.error = null;
    renderResults(line);
    try {
      if (!line.review) {
        const item = await api("/v1/reviews", { method: "POST", query: { company: state.company || undefined }, body: s });
        line.review = { id: item.id, status: item.status, submit_seq: item.submit_audit_seq };
      }
      const key = deciderKey();
      let item = null;
      if (key) {
        const path = `/v1/reviews/${line.review.id}/${action}`;
        const body = action === "approve" ? { coding_index: i } : action === "edit" ? { final, reason } : { reason };
        item = await api(path, { method: "POST", body, key });
        line.review = { ...line.review, status: item.status, decision_seq: item.decision_audit_seq, decided_by: item.decided_by };
      }
      const coding = action === "approve" ? s.codings[i].combination : action === "edit" ? final : null;
      line.decision = { action, status: item ? item.status : "pending", coding, reason };
      line.coding = coding;
      line.mode = null;
      postToHost({
        type: action === "reject" ? "glcopilot:rejected" : "glcopilot:coding", version: VERSION, index: index(line),
        line: { vendor: line.vendor, memo: line.memo, amount: line.amount, tr_type: line.tr_type },
        coding, review: { ...line.review },
      });
      const verb = { approve: "approved", edit: "edited", reject: "rejected" }[action];
      say(item ? `Line ${index(line) + 1} ${verb}; recorded in the audit trail (record ${line.review.decision_seq}).`
        : `Line ${index(line) + 1} submitted for approval (review ${line.review.id}).`);
    } catch (err) {
      line.error = err;
      say(`Line ${index(line) + 1}: ${explain(err).detail}`);
    } finally {
      line.busy = false;
    }
    renderResults(line);
    const focus = line.el && line.el.querySelector(line.decision ? ".decided" : ".options");
    if (focus) focus.focus();
  }

  // --- rendering -------------------------------------------------------------------------------

  function index(line) { return state.lines.indexOf(line); }

  function accountTitle(no) {
    const a = state.lookup && state.lookup.accountsByNo && state.lookup.accountsByNo[no];
    return a ? a.title : "";
  }

  function dimName(key, code) {
    const values = state.lookup && state.lookup.dimByKey && state.lookup.dimByKey[key];
    const v = values && values[code];
    return v && v.name && v.name.toLowerCase() !== code.toLowerCase() ? v.name : "";
  }

  function codingChips(combo, { skipVendor = true } = {}) {
    return dimOrder(Object.keys(combo.dims))
      .filter((k) => !(skipVendor && k === "vendor"))
      .map((k) => h("span", { class: "chip", title: dimName(k, combo.dims[k]) || null },
        `${dimLabel(k)} `, h("b", { text: combo.dims[k] })));
  }

  function renderAll() {
    clear(app);
    app.appendChild(renderHeader());
    const body = h("div", { class: "sb-body" });
    body.appendChild(renderEntryBar());
    body.appendChild(h("div", { id: "entry-status" }));
    body.appendChild(h("div", { id: "explanations", "aria-live": "polite" },
      state.explanationsNote ? h("p", { class: "llm-note", text: state.explanationsNote }) : null));
    const list = h("ol", { id: "lines", class: "lines", "aria-label": "Journal entry lines" });
    body.appendChild(list);
    for (const line of state.lines) list.appendChild(renderLine(line));
    body.appendChild(h("div", { class: "sb-actions" },
      h("button", { class: "btn", type: "button", onclick: () => addLine(null, true) }, h("span", { "aria-hidden": "true", text: "+" }), "Add line"),
      h("div", { id: "totals", class: "totals num" })));
    body.appendChild(h("p", { class: "keys small muted" },
      h("kbd", { text: "1" }), "–", h("kbd", { text: "3" }), " accept · ", h("kbd", { text: "↑" }), h("kbd", { text: "↓" }), " move · ",
      h("kbd", { text: "Enter" }), " accept · ", h("kbd", { text: "E" }), " edit · ", h("kbd", { text: "R" }), " reject"));
    app.appendChild(body);
    renderTotals();
    renderEntryStatus();
  }

  function renderHeader() {
    const me = state.me;
    const approver = state.approver;
    const menu = h("div", { class: "sb-menu", id: "sb-menu", hidden: !state.menuOpen },
      h("p", { class: "small" }, "Signed in as ", h("b", { text: GLC.describeWho(me) })),
      approver ? h("p", { class: "small" }, "Decisions recorded as ", h("b", { text: GLC.describeWho(approver) })) : null,
      approverForm(),
      h("button", { class: "btn small", type: "button", onclick: GLC.signOut, text: "Sign out" }));
    const toggle = h("button", {
      class: "btn ghost small who-btn", type: "button", "aria-expanded": String(Boolean(state.menuOpen)), "aria-controls": "sb-menu",
      onclick: () => { state.menuOpen = menu.hidden; menu.hidden = !state.menuOpen; toggle.setAttribute("aria-expanded", String(state.menuOpen)); },
    }, h("span", { class: "avatar", "aria-hidden": "true", text: (me.user[0] || "?").toUpperCase() }), h("span", { text: me.user }),
      h("span", { class: "role", title: approver ? `decisions as ${approver.user}` : null, text: approver ? `${me.role} + ${approver.role}` : me.role }));
    return h("header", { class: "sb-head" },
      h("div", { class: "brand" }, h("span", { class: "brand-mark", "aria-hidden": "true", text: "GL" }), h("h1", { text: "Coding assistant" })),
      h("div", { class: "spacer" }), toggle, menu);
  }

  function approverForm() {
    const input = h("input", { id: "approver-key", type: "password", autocomplete: "off", placeholder: "glc_…" });
    const status = h("div", { "aria-live": "polite" });
    const form = h("form", { class: "approver-form" },
      h("label", { for: "approver-key", text: "Approver key (optional)" }),
      h("p", { class: "small muted", text: "With an approver key, Accept, Edit and Reject are recorded as decisions at once; without it, accepted lines wait in the review queue." }),
      h("div", { class: "row-inline" }, input, h("button", { class: "btn small", type: "submit", text: "Save" })),
      status);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clear(status);
      const key = input.value.trim();
      if (!key) { session.set("approver", ""); state.approver = null; renderAll(); return; }
      try {
        const who = await GLC.whoami(key);
        if (who.role !== "approver" && who.role !== "admin") throw new GLC.ApiError(403, { detail: `that key is a ${who.role} key; decisions need an approver or admin key` });
        session.set("approver", key); state.approver = who; state.menuOpen = false; renderAll();
        say(`Decisions will be recorded as ${who.user}.`);
      } catch (err) { status.appendChild(errorNotice(err)); }
    });
    return form;
  }

  function renderEntryBar() {
    const entities = (state.lookup && state.lookup.entities) || [];
    const select = h("select", {
      id: "entity", onchange: (ev) => { state.entity = ev.target.value; loadLookup(); },
    }, entities.length ? null : h("option", { value: state.entity, text: state.entity || "—" }),
    entities.map((e) => h("option", { value: e.id, selected: e.id === state.entity, text: `${e.id} · ${e.name}` })));
    if (state.entity && !entities.some((e) => e.id === state.entity) && entities.length) {
      select.prepend(h("option", { value: state.entity, selected: true, text: state.entity }));
    }
    const date = h("input", { id: "entry-date", type: "date", value: state.date, onchange: (ev) => { state.date = ev.target.value; state.lines.forEach((l) => changed(l)); } });
    return h("div", { class: "entry-bar" },
      h("div", {}, h("label", { for: "entity", text: "Entity" }), select),
      h("div", {}, h("label", { for: "entry-date", text: "Posting date" }), date));
  }

  function showEntryError(text) {
    const slot = document.getElementById("entry-status");
    if (slot) clear(slot).appendChild(notice("error", "Entry not loaded", text));
  }

  function renderEntryStatus() {
    const slot = document.getElementById("entry-status");
    if (!slot) return;
    clear(slot);
    if (state.lookupError) {
      const e = explain(state.lookupError);
      slot.appendChild(notice("error", e.title, e.detail,
        e.status === 403 ? h("span", { class: "small" }, ` You are signed in as ${GLC.describeWho(state.me)}.`) : null));
    }
    document.querySelectorAll(".line input, .line button").forEach((el) => { el.disabled = Boolean(state.lookupError); });
  }

  function renderLine(line, refreshOnly) {
    const n = index(line) + 1;
    if (refreshOnly && line.el) {
      line.el.querySelector(".line-title").textContent = `Line ${n}`;
      line.el.querySelector(".remove").setAttribute("aria-label", `Remove line ${n}`);
      for (const f of ["vendor", "memo", "amount"]) {
        const input = line.el.querySelector(`[data-field=${f}]`);
        if (input && input.value !== line[f]) input.value = line[f];
      }
      line.el.querySelectorAll(".drcr button").forEach((b) => b.setAttribute("aria-pressed", String(Number(b.dataset.tr) === line.tr_type)));
      return line.el;
    }
    const field = (name, labelText, props) => {
      const id = `l${line.id}-${name}`;
      const input = h("input", {
        id, value: line[name], dataset: { field: name }, autocomplete: "off", ...props,
        oninput: (ev) => { line[name] = ev.target.value; changed(line); if (name === "amount") renderTotals(); },
        // 1528.3 reads as 1,528.30 once the user leaves the field (the same number: no new request).
        onblur: name === "amount" ? (ev) => {
          const v = parseAmount(ev.target.value).value;
          if (v !== null) { ev.target.value = money(v); line.amount = ev.target.value; }
        } : null,
        onkeydown: (ev) => {
          if (ev.key === "Enter" || (ev.key === "ArrowDown" && ev.altKey)) {
            const opts = line.el.querySelector(".options");
            if (opts) { ev.preventDefault(); opts.focus(); }
          }
        },
      });
      return h("div", { class: `f f-${name}` }, h("label", { for: id, text: labelText }), input,
        name === "amount" ? h("div", { class: "field-error", id: `${id}-err`, "aria-live": "polite" }) : null);
    };
    const drcr = h("div", { class: "drcr", role: "group", "aria-label": "Debit or credit" },
      [[1, "Debit"], [-1, "Credit"]].map(([tr, text]) => h("button", {
        type: "button", class: "btn small", "aria-pressed": String(line.tr_type === tr), dataset: { tr: String(tr) }, text,
        onclick: () => { line.tr_type = tr; renderLine(line, true); renderTotals(); changed(line); },
      })));
    const el = h("li", { class: "line card", dataset: { line: String(line.id) } },
      h("div", { class: "line-head" },
        h("h2", { class: "line-title", text: `Line ${n}` }), drcr, h("div", { class: "spacer" }),
        h("button", { class: "btn ghost small remove", type: "button", "aria-label": `Remove line ${n}`, onclick: () => removeLine(line) },
          h("span", { "aria-hidden": "true", text: "✕" }))),
      h("div", { class: "line-fields" },
        field("vendor", "Vendor", { list: "vendors", placeholder: "Vendor name or ID" }),
        field("memo", "Memo", { placeholder: "What was bought, and for whom" }),
        field("amount", "Amount", { inputmode: "decimal", placeholder: "0.00", class: "num" })),
      h("section", { class: "results", "aria-live": "polite", "aria-label": `Suggestions for line ${n}`, onkeydown: (ev) => onKey(line, ev) }));
    line.el = el;
    renderResults(line);
    return el;
  }

  function renderResults(line) {
    if (!line.el) return;
    const slot = line.el.querySelector(".results");
    const n = index(line) + 1;
    clear(slot);
    slot.setAttribute("aria-busy", String(line.status === "loading" || Boolean(line.busy)));
    const amountInput = line.el.querySelector("[data-field=amount]");
    const amountErr = line.el.querySelector(".f-amount .field-error");
    if (amountInput) {
      amountInput.setAttribute("aria-invalid", String(Boolean(line.amountError)));
      if (line.amountError) amountInput.setAttribute("aria-describedby", amountErr.id); else amountInput.removeAttribute("aria-describedby");
      amountErr.textContent = line.amountError || "";
    }
    if (line.decision) { slot.appendChild(renderDecided(line)); return; }
    if (line.status === "idle") {
      slot.appendChild(h("p", { class: "hint small muted", text: "Type a vendor or a memo to see suggested codings." }));
      return;
    }
    if (line.status === "loading" && !line.suggestion) {
      slot.appendChild(h("div", { class: "loading" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Finding codings…"));
      slot.appendChild(h("div", { class: "skeleton" })); slot.appendChild(h("div", { class: "skeleton" }));
      return;
    }
    if (line.status === "error" && !line.suggestion) {
      slot.appendChild(errorNotice(line.error, h("button", { class: "btn small retry", type: "button", text: "Try again", onclick: () => ask(line) })));
      return;
    }
    const s = line.suggestion;
    if (!s) return;
    if (line.status === "loading") slot.appendChild(h("div", { class: "loading refreshing" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Updating…"));
    if (!s.codings.length) {
      slot.appendChild(notice("warn", "No suggestion", "Nothing in this entity's history or chart of accounts matches yet. Code this line by hand."));
      return;
    }
    const threshold = state.config.review_confidence_threshold;
    const top = s.codings[0];
    if (top.confidence < threshold) {
      slot.appendChild(notice("warn", "Low confidence",
        `The best match is ${pct(top.confidence)} sure (below ${pct(threshold)}). Check the coding before you accept it.`));
    }
    const list = h("ul", {
      class: "options", role: "listbox", tabindex: "0", "aria-label": `Suggested codings for line ${n}`,
      "aria-activedescendant": `l${line.id}-opt${line.active}`,
    });
    s.codings.slice(0, 3).forEach((c, i) => {
      const combo = c.combination;
      const title = accountTitle(combo.account_no);
      const active = i === line.active;
      const opt = h("li", {
        id: `l${line.id}-opt${i}`, role: "option", "aria-selected": String(active), class: `option${active ? " active" : ""} ${level(c.confidence, threshold)}`,
        onclick: (ev) => { if (line.active === i && !ev.target.closest("button")) return; line.active = i; renderResults(line); line.el.querySelector(".options").focus(); },
      },
      h("div", { class: "opt-top" },
        h("kbd", { "aria-hidden": "true", text: String(i + 1) }),
        h("span", { class: "acct" }, h("b", { class: "num", text: combo.account_no }), title ? ` ${title}` : ""),
        // Mouse users accept in one click; keyboard and screen-reader users use the listbox (1-3, Enter).
        h("button", {
          class: "btn small accept-one", type: "button", tabindex: "-1", "aria-hidden": "true", text: "Accept",
          disabled: Boolean(line.busy), onclick: (ev) => { ev.stopPropagation(); line.active = i; decide(line, "approve", { index: i }); },
        })),
      h("div", { class: "opt-dims" }, codingChips(combo)),
      confidenceBar(c.confidence, threshold, `Suggestion ${i + 1}`),
      active && c.reasoning ? h("p", { class: "reasoning", text: capitalize(c.reasoning) + "." }) : null);
      list.appendChild(opt);
    });
    slot.appendChild(list);
    const canDecide = Boolean(deciderKey());
    const actions = h("div", { class: "opt-actions" },
      h("button", { class: "btn primary", type: "button", disabled: Boolean(line.busy), onclick: () => decide(line, "approve") },
        line.busy ? h("span", { class: "spinner", "aria-hidden": "true" }) : null, "Accept", h("kbd", { "aria-hidden": "true", text: "⏎" })),
      h("button", { class: "btn", type: "button", disabled: !canDecide || Boolean(line.busy), onclick: () => openForm(line, "edit") }, "Edit", h("kbd", { "aria-hidden": "true", text: "E" })),
      h("button", { class: "btn danger", type: "button", disabled: !canDecide || Boolean(line.busy), onclick: () => openForm(line, "reject") }, "Reject", h("kbd", { "aria-hidden": "true", text: "R" })));
    slot.appendChild(actions);
    if (!canDecide) {
      slot.appendChild(h("p", { class: "small muted", text: "Accepted lines go to the review queue for an approver. To edit or reject here, add an approver key (menu at the top)." }));
    }
    if (line.error) slot.appendChild(errorNotice(line.error));
    if (line.mode === "edit") slot.appendChild(editForm(line));
    if (line.mode === "reject") slot.appendChild(rejectForm(line));
    const amount = Number(parseAmount(line.amount).value || 0);
    const material = amount >= Number(state.config.materiality_threshold);
    if (material && s.narrative) {
      slot.appendChild(h("details", { class: "narrative", open: true },
        h("summary", {}, "Narrative ", h("span", { class: "muted small", text: `material line · ${money(state.config.materiality_threshold)} or more` })),
        h("p", { text: s.narrative })));
    }
  }

  function capitalize(t) { t = String(t || "").replace(/\.\s*$/, ""); return t.charAt(0).toUpperCase() + t.slice(1); }

  function renderDecided(line) {
    const d = line.decision;
    const r = line.review || {};
    const labels = { approved: "Approved", edited: "Edited", rejected: "Rejected", pending: "Submitted for approval" };
    const combo = d.coding;
    const title = combo ? accountTitle(combo.account_no) : "";
    const audit = r.decision_seq ? `audit record ${r.decision_seq}` : r.submit_seq ? `audit record ${r.submit_seq}` : "";
    return h("div", { class: `decided ${d.status}`, tabindex: "-1" },
      h("div", { class: "decided-top" },
        h("span", { class: `badge ${d.status}`, text: labels[d.status] || d.status }),
        h("span", { class: "small muted", text: [`review #${r.id}`, audit, r.decided_by ? `by ${r.decided_by}` : ""].filter(Boolean).join(" · ") })),
      combo ? h("div", { class: "decided-coding" },
        h("span", { class: "acct" }, h("b", { class: "num", text: combo.account_no }), title ? ` ${title}` : ""),
        h("div", { class: "opt-dims" }, codingChips(combo))) : null,
      d.reason ? h("p", { class: "small" }, h("span", { class: "muted", text: "Reason: " }), d.reason) : null,
      h("button", {
        class: "btn ghost small", type: "button", text: "Ask again",
        onclick: () => { line.decision = null; line.review = null; line.coding = null; ask(line); },
      }));
  }

  function openForm(line, mode) {
    if (!deciderKey() || !line.suggestion || !line.suggestion.codings.length) return;
    line.mode = line.mode === mode ? null : mode;
    renderResults(line);
    const first = line.el.querySelector(`.${mode}-form select, .${mode}-form input, .${mode}-form textarea`);
    if (first) first.focus();
  }

  function editForm(line) {
    const base = line.suggestion.codings[line.active].combination;
    const accounts = (state.lookup && state.lookup.accounts) || [];
    const id = `l${line.id}-edit`;
    const account = h("select", { id: `${id}-acct` },
      accounts.some((a) => a.no === base.account_no) ? null : h("option", { value: base.account_no, text: base.account_no }),
      accounts.map((a) => h("option", { value: a.no, selected: a.no === base.account_no, text: `${a.no} · ${a.title}` })));
    const dimsBox = h("div", { class: "edit-dims" });
    const values = { ...base.dims };
    const drawDims = () => {
      clear(dimsBox);
      const acct = state.lookup && state.lookup.accountsByNo[account.value];
      const keys = dimOrder(new Set([...Object.keys(values), ...((acct && acct.required) || [])]));
      for (const k of keys) {
        const fid = `${id}-${k}`;
        const required = acct && acct.required.includes(k);
        dimsBox.appendChild(h("div", { class: "f" },
          h("label", { for: fid, text: `${dimLabel(k)}${required ? " (required)" : ""}` }),
          h("input", { id: fid, value: values[k] || "", list: state.lookup && state.lookup.dimensions[k] ? `dl-${k}` : null, dataset: { dim: k },
            oninput: (ev) => { values[k] = ev.target.value.trim(); } })));
      }
    };
    account.addEventListener("change", drawDims);
    drawDims();
    const reason = h("textarea", { id: `${id}-reason`, required: true, rows: 2, placeholder: "Why the coding changes (recorded in the audit trail)" });
    const form = h("form", { class: "edit-form inline-form", "aria-label": "Edit the coding" },
      h("div", { class: "f" }, h("label", { for: `${id}-acct`, text: "Account" }), account),
      dimsBox,
      h("div", { class: "f" }, h("label", { for: `${id}-reason`, text: "Reason" }), reason),
      h("div", { class: "row-inline" },
        h("button", { class: "btn primary", type: "submit", text: "Save edit" }),
        h("button", { class: "btn ghost", type: "button", text: "Cancel", onclick: () => { line.mode = null; renderResults(line); line.el.querySelector(".options").focus(); } })));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const dims = {};
      for (const [k, v] of Object.entries(values)) if (v) dims[k] = v;
      if (!reason.value.trim()) { reason.setAttribute("aria-invalid", "true"); reason.focus(); return; }
      decide(line, "edit", { final: { account_no: account.value, dims }, reason: reason.value.trim() });
    });
    form.addEventListener("keydown", (ev) => { if (ev.key === "Escape") { line.mode = null; renderResults(line); line.el.querySelector(".options").focus(); } ev.stopPropagation(); });
    return form;
  }

  function rejectForm(line) {
    const id = `l${line.id}-reject`;
    const reason = h("input", { id: `${id}-reason`, required: true, placeholder: "e.g. not a GL expense; belongs to another entity" });
    const form = h("form", { class: "reject-form inline-form", "aria-label": "Reject all suggestions" },
      h("div", { class: "f" }, h("label", { for: `${id}-reason`, text: "Why none of these codings fits" }), reason),
      h("div", { class: "row-inline" },
        h("button", { class: "btn danger", type: "submit", text: "Reject suggestions" }),
        h("button", { class: "btn ghost", type: "button", text: "Cancel", onclick: () => { line.mode = null; renderResults(line); line.el.querySelector(".options").focus(); } })));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (!reason.value.trim()) { reason.setAttribute("aria-invalid", "true"); reason.focus(); return; }
      decide(line, "reject", { reason: reason.value.trim() });
    });
    form.addEventListener("keydown", (ev) => { if (ev.key === "Escape") { line.mode = null; renderResults(line); line.el.querySelector(".options").focus(); } ev.stopPropagation(); });
    return form;
  }

  function onKey(line, ev) {
    const tag = ev.target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const s = line.suggestion;
    if (!s || !s.codings.length || line.decision || line.busy) return;
    const count = Math.min(3, s.codings.length);
    const key = ev.key;
    if (key === "ArrowDown" || key === "ArrowUp") {
      ev.preventDefault();
      line.active = (line.active + (key === "ArrowDown" ? 1 : count - 1)) % count;
      renderResults(line);
      line.el.querySelector(".options").focus();
    } else if (["1", "2", "3"].includes(key) && Number(key) <= count) {
      ev.preventDefault();
      line.active = Number(key) - 1;
      decide(line, "approve", { index: line.active });
    } else if (key === "Enter" && ev.target.classList.contains("options")) {
      ev.preventDefault();
      decide(line, "approve");
    } else if (key === "e" || key === "E") {
      ev.preventDefault(); openForm(line, "edit");
    } else if (key === "r" || key === "R") {
      ev.preventDefault(); openForm(line, "reject");
    }
  }

  function renderTotals() {
    const slot = document.getElementById("totals");
    if (!slot) return;
    let dr = 0, cr = 0;
    for (const l of state.lines) {
      const v = Number(parseAmount(l.amount).value || 0);
      if (l.tr_type === 1) dr += v; else cr += v;
    }
    const diff = Math.round((dr - cr) * 100) / 100;
    clear(slot).append(
      h("span", {}, h("span", { class: "muted", text: "Dr " }), money(dr)),
      h("span", {}, h("span", { class: "muted", text: "Cr " }), money(cr)),
      cr === 0 && dr === 0 ? null : h("span", { class: diff === 0 ? "balanced" : "unbalanced", text: diff === 0 ? "Balanced" : `Off by ${money(Math.abs(diff))}` }));
  }

  // --- master data for the pickers -------------------------------------------------------------

  async function loadLookup() {
    state.lookupError = null;
    try {
      const data = await api("/ui/api/lookup", { query: { company: state.company || undefined, entity: state.entity || undefined } });
      state.company = data.company;
      if (!state.entity && data.entities.length) {
        state.entity = data.entities[0].id;
        return loadLookup();
      }
      data.accountsByNo = Object.fromEntries((data.accounts || []).map((a) => [a.no, a]));
      data.dimByKey = {};
      for (const [k, vals] of Object.entries(data.dimensions || {})) data.dimByKey[k] = Object.fromEntries(vals.map((v) => [v.code, v]));
      state.lookup = data;
      renderDatalists(data);
    } catch (err) {
      state.lookupError = err;
      // Keep the entities the key may see, so the user can switch to one of them.
      let entities = (state.lookup && state.lookup.entities) || [];
      if (state.entity) {
        try { entities = (await api("/ui/api/lookup", { query: { company: state.company || undefined } })).entities; } catch (_) { /* shown above */ }
      }
      state.lookup = { entities, accounts: [], accountsByNo: {}, dimensions: {}, dimByKey: {} };
      for (const l of state.lines) { if (l.controller) l.controller.abort(); l.status = "idle"; l.suggestion = null; }
    }
    renderAll();
    if (!state.lookupError) state.lines.forEach((l) => { if (l.vendor || l.memo) changed(l, true); });
  }

  function renderDatalists(data) {
    let box = document.getElementById("datalists");
    if (!box) { box = h("div", { id: "datalists", hidden: true }); document.body.appendChild(box); }
    clear(box);
    box.appendChild(h("datalist", { id: "vendors" }, (data.dimensions.vendor || []).map((v) => h("option", { value: v.name, label: v.code }))));
    for (const [k, vals] of Object.entries(data.dimensions || {})) {
      box.appendChild(h("datalist", { id: `dl-${k}` }, vals.map((v) => h("option", { value: v.code, label: v.name }))));
    }
  }

  // --- start -----------------------------------------------------------------------------------

  let started = false;
  async function start() {
    try {
      state.config = state.config || await GLC.getConfig();
    } catch (err) {
      clear(app).appendChild(errorNotice(err));
      return;
    }
    const signed = await GLC.ensureSignedIn(app, {
      title: "Coding assistant",
      intro: "Paste your GL Copilot API key to get coding suggestions. It is kept only for this browser tab.",
    });
    state.me = signed.me;
    const approverKey = session.get("approver");
    state.approver = null;
    if (approverKey) {
      try { state.approver = await GLC.whoami(approverKey); } catch (_) { session.set("approver", ""); }
    }
    if (started) { renderAll(); return; }
    started = true;
    const entry = entryFromUrl();
    state.company = entry.company || "";
    state.entity = entry.entity || (state.me.entities !== "*" && state.me.entities.length === 1 ? state.me.entities[0] : "");
    state.date = entry.date || "";
    state.lines = (Array.isArray(entry.lines) && entry.lines.length ? entry.lines : [{}]).map(newLine);
    renderAll();
    if (entry.error) showEntryError(entry.error);
    await loadLookup();
    state.ready = true;
    document.body.dataset.ready = "true";
    if (state.pendingEntry) { const e = state.pendingEntry; state.pendingEntry = null; loadEntry(e); }
    postToHost({ type: "glcopilot:ready", version: VERSION });
  }

  window.addEventListener("message", onMessage);
  start();
})();
