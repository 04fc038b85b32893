// GL Copilot pages: shared helpers. API calls carry the user's key (kept in sessionStorage, never in
// the URL); errors arrive as problem+json and are shown with their detail; all text from the server is
// inserted as text, never as HTML.
"use strict";

const GLC = (() => {
  const KEYS = { api: "glcopilot.apiKey", approver: "glcopilot.approverKey" };

  const session = {
    get(name) { try { return sessionStorage.getItem(KEYS[name]) || ""; } catch (_) { return ""; } },
    set(name, value) {
      try { value ? sessionStorage.setItem(KEYS[name], value) : sessionStorage.removeItem(KEYS[name]); } catch (_) { /* private mode */ }
    },
  };

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
      this.status = status;
      this.problem = problem || {};
    }
  }

  /** fetch JSON from the API; throws ApiError (with the problem+json body) on a non-2xx answer. */
  async function api(path, { method = "GET", body, key, query, signal } = {}) {
    const url = new URL(path, location.origin);
    for (const [k, v] of Object.entries(query || {})) {
      if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
    }
    const headers = { Accept: "application/json" };
    const secret = key === undefined ? session.get("api") : key;
    if (secret) headers.Authorization = `Bearer ${secret}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let res;
    try {
      res = await fetch(url, { method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      if (err.name === "AbortError") throw err;
      throw new ApiError(0, { title: "Network error", detail: "The GL Copilot server could not be reached. Check your connection and try again." });
    }
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
    if (!res.ok) {
      throw new ApiError(res.status, data && typeof data === "object" ? data : { title: `HTTP ${res.status}`, detail: text.slice(0, 300) });
    }
    return data;
  }

  /** A short title and a readable detail for any error, for the notices. */
  function explain(err) {
    if (!(err instanceof ApiError)) return { title: "Something went wrong", detail: String(err && err.message || err) };
    const p = err.problem;
    const titles = { 0: "Server unreachable", 401: "Key not accepted", 403: "Access denied", 404: "Not found", 409: "Already decided", 422: "Check the input" };
    let detail = p.detail || p.title || `HTTP ${err.status}`;
    if (Array.isArray(p.errors) && p.errors.length) {
      detail += ": " + p.errors.slice(0, 3).map((e) => `${(e.loc || []).filter((x) => x !== "body").join(".")} ${e.msg}`).join("; ");
    } else if (p.field && !detail.includes(p.field)) {
      detail += ` (field: ${p.field})`;
    }
    return { title: titles[err.status] || (err.status >= 500 ? "Server error" : "Request failed"), detail, status: err.status };
  }

  // --- DOM -------------------------------------------------------------------------------------

  /** h("div", {class: "x", onclick: fn, "aria-label": "..."}, child, "text") */
  function h(tag, props, ...children) {
    const svg = tag.startsWith("svg:");
    const el = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
      else if (k === "class") el.setAttribute("class", v);
      else if (k === "text") el.textContent = v;
      else if (k === "dataset") Object.assign(el.dataset, v);
      else if (k === "width%") el.style.setProperty("width", `${v}%`);
      else if (!svg && k in el && typeof v !== "string") el[k] = v;
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }

  function notice(kind, title, detail, extra) {
    const icons = { info: "i", warn: "!", error: "!", ok: "✓" };
    return h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : null },
      h("span", { class: "icon", "aria-hidden": "true", text: icons[kind] || "i" }),
      h("div", {}, title ? h("strong", { text: title }) : null, detail ? h("span", { text: detail }) : null, extra || null));
  }

  function errorNotice(err, extra) {
    const e = explain(err);
    return notice("error", e.title, e.detail, extra);
  }

  // --- numbers ---------------------------------------------------------------------------------

  function money(value, currency) {
    if (value === null || value === undefined || value === "") return "";
    const n = Number(value);
    if (!Number.isFinite(n)) return String(value);
    const text = n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return currency ? `${text} ${currency}` : text;
  }

  function pct(x, digits = 0) {
    return x === null || x === undefined || Number.isNaN(x) ? "–" : `${(x * 100).toFixed(digits)}%`;
  }

  /** "high" | "mid" | "low": low below the review threshold, high at 0.8 and above. */
  function level(confidence, threshold) {
    if (confidence < threshold) return "low";
    return confidence >= 0.8 ? "high" : "mid";
  }

  function confidenceBar(confidence, threshold, label) {
    const lvl = level(confidence, threshold);
    const words = { high: "high", mid: "medium", low: "low" };
    return h("div", { class: `conf ${lvl}`, role: "img", "aria-label": `${label ? label + ": " : ""}confidence ${pct(confidence)} (${words[lvl]})` },
      h("div", { class: "conf-track" }, h("div", { class: "conf-fill", "width%": Math.max(2, Math.round(confidence * 100)) })),
      h("span", { class: "conf-value", text: pct(confidence) }));
  }

  function shortHash(hash, n = 12) { return hash ? `${hash.slice(0, n)}…` : "–"; }

  function when(iso) {
    if (!iso) return "";
    const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
    if (Number.isNaN(d.getTime())) return iso;
    return d.toLocaleString("en-US", { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZone: "UTC" }) + " UTC";
  }

  function day(isoDate) {
    if (!isoDate) return "";
    const d = new Date(`${isoDate.slice(0, 10)}T00:00:00Z`);
    return Number.isNaN(d.getTime()) ? isoDate : d.toLocaleDateString("en-US", { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
  }

  const DIM_LABELS = { department: "Dept", location: "Loc", project: "Project", class: "Class", customer: "Customer", vendor: "Vendor", employee: "Employee", item: "Item", task: "Task" };
  const DIM_ORDER = ["department", "location", "project", "class", "customer", "vendor", "employee", "item", "task"];

  /** "Dept", "Loc", ... for the standard dimensions; a custom one by its name, capitalized. */
  function dimLabel(key) {
    return DIM_LABELS[key] || key.charAt(0).toUpperCase() + key.slice(1).replace(/_/g, " ");
  }

  function dimOrder(keys) {
    return [...keys].sort((a, b) => {
      const ia = DIM_ORDER.indexOf(a), ib = DIM_ORDER.indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
    });
  }

  /** Parse "6100|department=SALES|location=NYC" into {account_no, dims}. */
  function fromKey(key) {
    if (!key) return null;
    const [account_no, ...rest] = key.split("|");
    const dims = {};
    for (const part of rest) { const i = part.indexOf("="); dims[part.slice(0, i)] = part.slice(i + 1); }
    return { account_no, dims };
  }

  // --- identity and the shared chrome ----------------------------------------------------------

  let config = null;
  async function getConfig() {
    if (!config) config = await api("/ui/api/config", { key: "" });
    return config;
  }

  async function whoami(key) {
    return api("/ui/api/me", { key: key === undefined ? session.get("api") : key });
  }

  function describeWho(me) {
    const ents = me.entities === "*" ? "all entities" : me.entities.join(", ");
    return `${me.user} · ${me.role} · ${ents}`;
  }

  /** The top bar of a wide page: brand, navigation, who is signed in, sign out. */
  function topbar(current, me, onSignOut) {
    const link = (href, text, name) => h("a", { href, text, "aria-current": current === name ? "page" : null });
    return h("header", { class: "topbar" },
      h("a", { class: "brand", href: "/ui/" }, h("span", { class: "brand-mark", "aria-hidden": "true", text: "GL" }), "GL Copilot"),
      h("nav", { class: "nav", "aria-label": "Pages" },
        link("/ui/sidebar", "Sidebar", "sidebar"), link("/ui/auditor", "Audit search", "auditor"), link("/ui/monitoring", "Monitoring", "monitoring")),
      h("div", { class: "spacer" }),
      me ? h("div", { class: "who" },
        h("span", { text: me.user }), h("span", { class: "role", text: me.role }),
        h("span", { class: "muted", text: me.entities === "*" ? "all entities" : me.entities.join(", ") }),
        h("button", { class: "btn ghost small", type: "button", onclick: onSignOut, text: "Sign out" })) : null);
  }

  /**
   * Ask for an API key (once per browser session). Resolves with {me} after /ui/api/me accepts it.
   * `extra` adds fields (the sidebar's optional approver key).
   */
  function signIn(container, { title, intro, extraFields } = {}) {
    return new Promise((resolve) => {
      const keyInput = h("input", { id: "api-key", type: "password", autocomplete: "off", spellcheck: "false", required: true, "aria-describedby": "api-key-help" });
      const status = h("div", { class: "status", "aria-live": "polite" });
      const form = h("form", { class: "card signin", "aria-labelledby": "signin-title" },
        h("h1", { id: "signin-title", text: title || "Sign in to GL Copilot" }),
        h("p", { text: intro || "Paste the API key your administrator created for you (copilot keys create). It is kept only for this browser tab." }),
        h("div", { class: "row" }, h("label", { for: "api-key", text: "API key" }), keyInput,
          h("div", { id: "api-key-help", class: "small muted", text: "Starts with glc_" })),
        extraFields || null,
        status,
        h("div", { class: "row" }, h("button", { class: "btn primary", type: "submit", text: "Continue" })));
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        clear(status);
        const key = keyInput.value.trim();
        try {
          const me = await whoami(key);
          session.set("api", key);
          form.remove();
          resolve({ me, form });
        } catch (err) {
          status.appendChild(errorNotice(err));
        }
      });
      clear(container).appendChild(form);
      keyInput.focus();
    });
  }

  /** The key from this session if it still works, else the sign-in form. */
  async function ensureSignedIn(container, options) {
    const key = session.get("api");
    if (key) {
      try { return { me: await whoami(key) }; } catch (err) { if (!(err instanceof ApiError) || err.status !== 401) throw err; session.set("api", ""); }
    }
    return signIn(container, options);
  }

  function signOut() {
    session.set("api", "");
    session.set("approver", "");
    location.reload();
  }

  function debounce(fn, ms) {
    let t = null;
    const wrapped = (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
    wrapped.cancel = () => clearTimeout(t);
    return wrapped;
  }

  return {
    api, ApiError, explain, session, h, append, clear, notice, errorNotice, money, pct, level, confidenceBar,
    shortHash, when, day, DIM_LABELS, dimLabel, dimOrder, fromKey, getConfig, whoami, describeWho, topbar, signIn,
    ensureSignedIn, signOut, debounce,
  };
})();
