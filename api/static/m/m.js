// The engineer's phone page (/m): the day's route from GET /api/v1/me/route, status steps
// through POST /me/jobs/{code}/status, and the visit report through POST /me/jobs/{code}/report.
// The server decides what is allowed; the page shows its answer, naming the field on an error.
import { api, getToken, logout, requireLogin, showError } from "/static/common/api.js";

const STATUS_TEXT = {
  new: "Not planned",
  scheduled: "Scheduled",
  dispatched: "Dispatched",
  en_route: "En route",
  on_site: "On site",
  completed: "Completed",
  incomplete: "Incomplete",
  cancelled: "Cancelled",
};
// The step an engineer reports next from each status (finishing is the report form).
const NEXT_STEP = {
  scheduled: { status: "en_route", label: "En route" },
  dispatched: { status: "en_route", label: "En route" },
  en_route: { status: "on_site", label: "On site" },
};
const REASONS = [
  ["needs_part", "Needs a part"],
  ["no_access", "No access"],
  ["customer_absent", "Customer absent"],
  ["needs_second_visit", "Needs a second visit"],
  ["other", "Other"],
];

const $ = (id) => document.getElementById(id);
const errorBox = $("error");
const loading = $("loading");
let route = null; // the last answer of /me/route

/** Build an element: h("p", {class: "x"}, "text", child…); strings become text nodes, so no
 * value from the server is ever parsed as HTML. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v == null) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c != null && c !== false) el.append(c);
  return el;
}

function localDay(d = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function chosenDay() {
  const q = new URLSearchParams(location.search).get("date");
  return q && /^\d{4}-\d{2}-\d{2}$/.test(q) ? q : localDay();
}

/** "09:40" in the territory's zone; with the date when it is not the day shown. */
function clock(iso) {
  const tz = route?.timezone || undefined;
  const d = new Date(iso);
  const time = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: tz }).format(d);
  const day = new Intl.DateTimeFormat("en-CA", { timeZone: tz }).format(d); // YYYY-MM-DD
  if (route && day !== route.date) {
    const short = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: tz }).format(d);
    return `${short} ${time}`;
  }
  return time;
}

const span = (a, b) => `${clock(a)}–${clock(b)}`;

function partLine(p) {
  let where;
  if (p.on_van) where = "on your van";
  else if (p.depots.length) where = `collect at ${p.depots[0].name} (${p.depots[0].address})`;
  else where = "not in stock nearby";
  return h("li", {}, `${p.quantity} × ${p.name} (${p.sku}) — ${where}${p.reserved ? ", reserved" : ""}`);
}

function visitItem(v) {
  const titleId = `visit-${v.job}`;
  const facts = h(
    "dl",
    { class: "facts" },
    h("dt", {}, "ETA"),
    h(
      "dd",
      {},
      `${clock(v.eta)} · on site ${span(v.start, v.end)}`,
      v.late_minutes > 0 ? h("span", { class: "late" }, ` · ${v.late_minutes} min late`) : null,
    ),
    h("dt", {}, "Window"),
    h("dd", {}, v.windows.length ? v.windows.map((w) => span(w.start, w.end)).join(", ") : "any time"),
    h("dt", {}, "Address"),
    h("dd", {}, v.address, " ", h("a", { href: `geo:${v.lat},${v.lon}`, class: "nav" }, "Open in maps")),
    h("dt", {}, "Customer"),
    h("dd", {}, v.customer_name, v.customer_phone ? [", ", h("a", { href: `tel:${v.customer_phone}` }, v.customer_phone)] : null),
    h("dt", {}, "Problem"),
    h("dd", {}, v.description || "—"),
    v.parts.length ? [h("dt", {}, "Parts"), h("dd", {}, h("ul", {}, v.parts.map(partLine)))] : null,
  );
  const article = h(
    "article",
    { "aria-labelledby": titleId },
    h(
      "h2",
      { id: titleId },
      h("span", { class: "seq", "aria-hidden": "true" }, String(positionOf(v))),
      `${v.job} · ${v.customer_name}`,
      h("span", { class: `badge ${v.status}` }, STATUS_TEXT[v.status] || v.status),
    ),
  );
  const done = ["completed", "incomplete", "cancelled"].includes(v.status);
  // a finished visit folds away, so the next one is near the top of a small screen
  article.append(done ? h("details", {}, h("summary", {}, "Details"), facts) : facts);
  const next = NEXT_STEP[v.status];
  if (next) {
    const alert = h("p", { class: "error", role: "alert", hidden: true });
    const button = h("button", { type: "button", class: "primary", onclick: () => step(v.job, next.status, button, alert) }, next.label);
    article.append(h("div", { class: "actions" }, button), alert);
  } else if (v.status === "on_site") {
    article.append(reportForm(v));
  } else if (v.status === "completed" || v.status === "incomplete") {
    article.append(h("p", { class: "done-state" }, v.status === "completed" ? "Visit completed." : "Visit closed: incomplete."));
  }
  return h("li", { class: "stop visit", "data-job": v.job, "data-status": v.status }, article);
}

let positions = new Map();
function positionOf(v) {
  return positions.get(v.job) ?? "";
}

function reportForm(v) {
  const id = (name) => `${name}-${v.job}`;
  const alert = h("p", { class: "error", role: "alert", hidden: true });
  const reasonField = h(
    "div",
    { class: "field", hidden: true },
    h("label", { for: id("reason") }, "Reason"),
    h("select", { id: id("reason"), name: "reason", "data-field": "reason" }, REASONS.map(([value, text]) => h("option", { value }, text))),
  );
  const outcome = (value, text, checked) =>
    h(
      "label",
      {},
      h("input", {
        type: "radio",
        name: "outcome",
        value,
        checked,
        onchange: () => {
          reasonField.hidden = value !== "incomplete";
        },
      }),
      text,
    );
  const partsBox = h("div", { class: "parts-used" });
  v.parts.forEach((p, i) => {
    partsBox.append(
      h(
        "div",
        { class: "part-row" },
        h("label", { for: id(`part-${i}`) }, `${p.name} (${p.sku})`),
        h("input", {
          id: id(`part-${i}`),
          type: "number",
          inputmode: "numeric",
          min: 0,
          step: 1,
          value: p.quantity,
          "data-sku": p.sku,
          "data-field": `parts_used.${p.sku}`,
          "aria-label": `Quantity used of ${p.name} (${p.sku})`,
        }),
      ),
    );
  });
  let extra = 0;
  const addPart = () => {
    extra += 1;
    const skuId = id(`extra-sku-${extra}`);
    const qtyId = id(`extra-qty-${extra}`);
    const sku = h("input", { id: skuId, type: "text", autocapitalize: "characters", "aria-label": `Other part ${extra}: SKU`, placeholder: "SKU" });
    const qty = h("input", { id: qtyId, type: "number", inputmode: "numeric", min: 1, step: 1, value: 1, "aria-label": `Other part ${extra}: quantity` });
    sku.addEventListener("input", () => qty.setAttribute("data-field", `parts_used.${sku.value.trim()}`));
    partsBox.append(h("div", { class: "part-row extra" }, sku, qty));
    qty.dataset.extraSku = skuId;
    sku.focus();
  };
  const submit = h("button", { type: "submit", class: "primary" }, "Submit report");
  const form = h(
    "form",
    { class: "report", "aria-label": `Report for ${v.job}`, novalidate: true },
    h("h3", {}, "Finish the visit"),
    h("fieldset", {}, h("legend", {}, "Outcome"), h("div", { class: "choice" }, outcome("completed", "Completed", true), outcome("incomplete", "Incomplete", false))),
    reasonField,
    h("div", { class: "field" }, h("label", { for: id("work") }, "Work done"), h("textarea", { id: id("work"), name: "work_done", rows: 3, "data-field": "work_done", maxlength: 4000 })),
    h(
      "fieldset",
      {},
      h("legend", {}, "Parts used"),
      v.parts.length ? null : h("p", { class: "hint" }, "This job needs no parts; add any you used."),
      partsBox,
      h("div", { class: "actions" }, h("button", { type: "button", onclick: addPart }, "Add another part")),
    ),
    h("div", { class: "field" }, h("label", { for: id("signed") }, "Customer sign-off name"), h("input", { id: id("signed"), name: "signed_by", type: "text", autocomplete: "off", "data-field": "signed_by", maxlength: 120 })),
    alert,
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    const body = {
      outcome: data.get("outcome"),
      work_done: String(data.get("work_done") || ""),
      signed_by: String(data.get("signed_by") || ""),
      parts_used: {},
    };
    if (body.outcome === "incomplete") body.reason = data.get("reason");
    for (const input of partsBox.querySelectorAll("input[type=number]")) {
      const sku = input.dataset.sku || document.getElementById(input.dataset.extraSku)?.value.trim();
      if (!sku || input.value === "") continue;
      const qty = Number(input.value);
      if (input.dataset.sku && qty === 0) continue; // a needed part left unused
      body.parts_used[sku] = (body.parts_used[sku] || 0) + qty;
    }
    await send(form, submit, alert, `/me/jobs/${encodeURIComponent(v.job)}/report`, body, `${v.job}: report sent`);
  });
  return form;
}

/** Mark the inputs an API error names (data-field = its loc without "body"). */
function markInvalid(container, err) {
  for (const el of container.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  if (!err || !Array.isArray(err.detail)) return;
  for (const d of err.detail) {
    const loc = (d.loc || []).filter((x, i) => !(i === 0 && x === "body")).join(".");
    for (const el of container.querySelectorAll("[data-field]")) {
      if (el.dataset.field === loc) {
        el.setAttribute("aria-invalid", "true");
        el.focus();
      }
    }
  }
}

async function send(container, button, alert, path, body, done) {
  button.disabled = true;
  showError(alert, null);
  markInvalid(container, null);
  try {
    await api(path, { method: "POST", body });
    loading.textContent = done;
    await load();
  } catch (err) {
    showError(alert, err);
    markInvalid(container, err);
    if (err.status === 401) requireLogin(load);
  } finally {
    button.disabled = false;
  }
}

function step(job, status, button, alert) {
  const label = STATUS_TEXT[status].toLowerCase();
  return send(button.parentElement, button, alert, `/me/jobs/${encodeURIComponent(job)}/status`, { status }, `${job}: ${label}`);
}

/** A depot stop: where, what to load (planned stops), and "Collected" once there, which
 * moves the parts onto the van's books and tops the van up to its standard stock. */
function pickupItem(p) {
  const loads = Object.entries(p.loads || {});
  const what = loads.length ? loads.map(([sku, n]) => `${n} × ${sku}`).join(", ") : "";
  const alert = h("p", { class: "error", role: "alert", hidden: true });
  const children = [
    h("p", {}, `${clock(p.eta)} · collect parts${p.for_job ? ` for ${p.for_job}` : ""}: `, p.depot ? `${p.depot.name}, ${p.depot.address}` : "depot stop"),
  ];
  if (what) children.push(h("p", { class: "loads" }, `Load: ${what}`));
  if (p.collected_at) {
    children.push(h("p", { class: "done" }, `Collected ${clock(p.collected_at)}`));
  } else if (loads.length) {
    const button = h("button", { type: "button", class: "primary", "aria-label": `Collected at ${p.depot ? p.depot.name : "the depot"}` }, "Collected");
    button.addEventListener("click", () =>
      send(button.parentElement, button, alert, `/me/depot-stops/${p.visit}/collect`, {}, "Parts collected"),
    );
    children.push(button, alert);
  }
  return h("li", { class: "stop minor pickup" }, ...children);
}

function render() {
  const list = $("route");
  list.replaceChildren();
  positions = new Map(route.visits.map((v, i) => [v.job, i + 1]));
  const s = route.summary;
  $("summary").textContent = route.visits.length
    ? `${route.engineer} · ${s.visits} visit${s.visits === 1 ? "" : "s"} · ${s.travel_minutes} min driving · ${s.distance_km} km` +
      (route.shift_start ? ` · shift ${span(route.shift_start, route.shift_end)}` : "")
    : "No visits for you on this day.";
  const stops = [
    ...route.visits.map((v) => ({ seq: v.seq, el: () => visitItem(v) })),
    ...route.pickups.map((p) => ({ seq: p.seq, el: () => pickupItem(p) })),
    ...(route.lunch ? [{ seq: route.lunch.seq, el: () => h("li", { class: "stop minor lunch" }, h("p", {}, `Lunch ${span(route.lunch.start, route.lunch.end)}`)) }] : []),
  ].sort((a, b) => a.seq - b.seq);
  for (const stop of stops) list.append(stop.el());
}

async function load() {
  const day = $("day").value || chosenDay();
  showError(errorBox, null);
  try {
    route = await api(`/me/route?date=${encodeURIComponent(day)}`);
    render();
  } catch (err) {
    route = null;
    $("route").replaceChildren();
    $("summary").textContent = "";
    loading.textContent = "";
    showError(errorBox, err);
    if (err.status === 403) errorBox.textContent += " (this page is for engineers: log out and use an engineer's token)";
    if (err.status === 401 || !getToken()) requireLogin(load);
  }
}

$("day").value = chosenDay();
$("pick-day").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const url = new URL(location.href);
  url.searchParams.set("date", $("day").value);
  history.replaceState(null, "", url);
  loading.textContent = "";
  load();
});
$("logout").addEventListener("click", logout);
requireLogin(load);
