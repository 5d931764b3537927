// The dispatch board: pick a territory and day, run and publish plans, see the routes on a
// map and a timeline, the unassigned jobs with their reasons and the SLA promises at risk,
// and move (and pin) jobs between engineers. Everything goes through /api/v1 with the
// dispatcher's bearer token; the server checks every move and says which rule a refused one
// would break.

import { api, logout, requireLogin, showError } from "../common/api.js";
import { createMap } from "./map.js";
import { createTimeline } from "./timeline.js";
import { clock as makeClock, colourFor, el, humanise, plural } from "./util.js";

const $ = (id) => document.getElementById(id);
const POLL_MS = 400;
const JOB_PAGE = 1000; // the API's largest page

const state = {
  territories: [],
  territory: null, // {code, name, timezone}
  day: "",
  plans: [], // summaries for the territory-day, newest first
  planId: null,
  doc: null, // GET /plans/{id}
  engineers: [], // the territory's active engineers
  jobs: new Map(), // code → job (skills, deadlines) for the territory
  colours: new Map(), // engineer code → colour
  clock: makeClock("UTC"),
  selected: { engineer: null, job: null },
  running: false,
  cache: { territory: null, engineers: [] },
};

const map = createMap($("map"), { onSelect: select });
const timeline = createTimeline($("timeline"), {
  onSelect: select,
  onDrop: ({ job, engineer, position }) => move({ job, engineer, position, pin: $("move-pin").checked }),
});

function say(text) {
  $("status").textContent = text;
}

function fail(err) {
  showError($("error"), err);
  // A token the server no longer knows (api() has forgotten it): ask for another one.
  if (err?.status === 401 && !document.querySelector(".login-overlay")) requireLogin(start);
}

// ---- loading ---------------------------------------------------------------------------

let wired = false;

async function start() {
  if (!wired) wire();
  wired = true;
  fail(null);
  try {
    const [territories, settings] = await Promise.all([
      api("/territories"),
      api("/board/settings").catch(() => ({ tile_url: "" })),
    ]);
    state.territories = territories;
    map.setTiles(settings.tile_url, settings.tile_attribution);
    const params = new URLSearchParams(location.search);
    const wanted = params.get("territory");
    const territory = territories.find((t) => t.code === wanted) || territories[0];
    $("territory").replaceChildren(
      ...territories.map((t) => el("option", { value: t.code }, `${t.name} (${t.code})`)),
    );
    if (!territory) {
      say("No territories yet: import a region first (dispatch import).");
      return;
    }
    $("territory").value = territory.code;
    setTerritory(territory);
    state.day = params.get("day") || (await latestDay(territory.code));
    $("day").value = state.day;
    const plan = Number(params.get("plan")) || null;
    await loadPlans({ select: plan });
  } catch (err) {
    fail(err);
  }
}

/** Without a date in the URL: the day of the territory's latest plan, else tomorrow. */
async function latestDay(code) {
  const plans = await api(`/plans?territory=${encodeURIComponent(code)}`);
  if (plans.length) return plans[0].day;
  const t = new Date(Date.now() + 86_400_000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: state.territory.timezone }).format(t);
}

function setTerritory(t) {
  state.territory = t;
  state.clock = makeClock(t.timezone);
}

async function loadPlans({ select: wanted = null } = {}) {
  fail(null);
  const { code } = state.territory;
  const plans = await api(`/plans?territory=${encodeURIComponent(code)}&day=${state.day}`);
  state.plans = plans;
  $("plan").replaceChildren(
    ...plans.map((p) =>
      el("option", { value: p.id }, `#${p.id} ${p.status} · ${p.kpis.served ?? "?"}/${p.kpis.jobs ?? "?"} jobs`),
    ),
  );
  const chosen =
    plans.find((p) => p.id === wanted) || plans.find((p) => p.status === "published") || plans[0] || null;
  if (!chosen) {
    state.planId = null;
    state.doc = null;
    syncUrl();
    const empty = `No plan for ${state.territory.name} on ${state.day} yet: run one.`;
    say(empty);
    map.clear(empty);
    timeline.clear(empty);
    renderLists(null, []);
    renderKpis(null);
    renderMoveForm();
    updateButtons();
    return;
  }
  $("plan").value = String(chosen.id);
  await loadPlan(chosen.id, { refit: true });
}

async function territoryData(code) {
  if (state.cache.territory !== code) {
    const engineers = await api(`/engineers?territory=${encodeURIComponent(code)}&active_only=true`);
    state.cache = { territory: code, engineers };
  }
  const jobs = [];
  for (let offset = 0; ; offset += JOB_PAGE) {
    const page = await api(`/jobs?territory=${encodeURIComponent(code)}&limit=${JOB_PAGE}&offset=${offset}`);
    jobs.push(...page);
    if (page.length < JOB_PAGE) break;
  }
  return { engineers: state.cache.engineers, jobs };
}

async function loadPlan(id, { refit = false } = {}) {
  say(`Loading plan #${id}…`);
  const code = state.territory.code;
  const [doc, geo, data, risks] = await Promise.all([
    api(`/plans/${id}`),
    api(`/plans/${id}/geojson`),
    territoryData(code),
    api(`/sla/at-risk?territory=${encodeURIComponent(code)}`),
  ]);
  state.planId = id;
  state.engineers = data.engineers;
  state.jobs = new Map(data.jobs.map((j) => [j.code, j]));
  show(doc, geo, risks, { refit });
  say(summary(doc));
}

function summary(doc) {
  const k = doc.kpis || {};
  return (
    `Plan #${doc.plan} (${doc.status}) for ${state.territory.name} on ${doc.day}: ` +
    `${k.served ?? 0} of ${k.jobs ?? 0} jobs planned on ${plural(routesWithJobs(doc).length, "route")}, ` +
    `${plural(doc.unassigned.length, "job")} unassigned.`
  );
}

const routesWithJobs = (doc) => doc.routes.filter((r) => r.visits.some((v) => v.job));

/** Draw everything for a plan document (and its GeoJSON and the SLA list). */
function show(doc, geo, risks, { refit }) {
  state.doc = doc;
  // Colours follow the territory's engineer list, so an engineer keeps theirs across plans.
  const codes = [...new Set([...state.engineers.map((e) => e.code), ...doc.routes.map((r) => r.engineer)])].sort();
  state.colours = new Map(codes.map((c, i) => [c, colourFor(i)]));
  const names = new Map(state.engineers.map((e) => [e.code, e.name]));
  map.show(geo, state.colours, describers(), { refit });
  timeline.show(doc, { colours: state.colours, jobs: state.jobs, clock: state.clock, names });
  renderKpis(doc);
  renderLists(doc, risks);
  renderMoveForm();
  highlight();
  syncUrl();
  updateButtons();
}

function describers() {
  const c = state.clock;
  const day = state.doc?.day;
  return {
    route: (p) =>
      `${p.engineer_name} (${p.engineer}): ${plural(p.visits, "visit")}, ${p.distance_km} km, ` +
      `${p.travel_minutes} min travel`,
    visit: (p) =>
      `${p.job} · ${p.engineer}, stop ${p.seq} · ETA ${c.when(p.eta, day)}` +
      (p.late_minutes > 0 ? ` · late by ${p.late_minutes} min` : "") +
      (p.address ? ` · ${p.address}` : ""),
    unassigned: (p) => `${p.job}: not planned, ${humanise(p.reason)}${p.detail ? ` (${p.detail})` : ""}`,
  };
}

function renderKpis(doc) {
  const k = doc?.kpis;
  if (!k) {
    $("kpis").replaceChildren();
    return;
  }
  const items = [
    ["Status", doc.status],
    ["Planned", `${k.served}/${k.jobs}`],
    ["Unassigned", String(k.unassigned)],
    ["SLA kept", `${k.sla_met}/${k.sla_due}`],
    ["Travel", `${Math.round(k.travel_km).toLocaleString("en-GB")} km`],
    ["Busy", `${Math.round((k.utilisation || 0) * 100)}%`],
  ];
  $("kpis").replaceChildren(...items.map(([t, d]) => el("div", {}, el("dt", {}, t), el("dd", {}, d))));
}

function needs(job) {
  if (!job) return "";
  const skills = Object.entries(job.skills).map(([s, l]) => `${humanise(s)} ${l}`);
  return `${skills.join(", ")} · ${job.duration_minutes} min`;
}

function renderLists(doc, risks) {
  const c = state.clock;
  const unassigned = doc?.unassigned || [];
  $("unassigned-count").textContent = doc ? `(${unassigned.length})` : "";
  $("unassigned").tBodies[0].replaceChildren(
    ...unassigned.map((u) => {
      const row = el(
        "tr",
        { "data-job": u.job, "data-testid": "unassigned-row", title: "Drag onto an engineer's row to place it" },
        el("td", {}, jobButton(u.job, null)),
        el("td", {}, needs(state.jobs.get(u.job))),
        el(
          "td",
          { class: "why", title: u.detail || "" },
          el("span", { class: `reason reason-${u.reason}` }, humanise(u.reason)),
          el("small", {}, u.detail || ""),
        ),
      );
      timeline.draggable(row, u.job);
      return row;
    }),
  );
  const list = doc ? risks : [];
  $("risk-count").textContent = doc ? `(${list.length})` : "";
  $("at-risk").tBodies[0].replaceChildren(
    ...list.map((a) =>
      el(
        "tr",
        { "data-job": a.job, "data-testid": "at-risk-row", class: a.level >= 2 ? "breached" : "" },
        el("td", {}, jobButton(a.job, a.engineer)),
        el("td", {}, c.when(a.deadline, state.day)),
        el("td", {}, a.eta ? c.when(a.eta, state.day) : "—"),
        el(
          "td",
          { class: "why", title: a.detail },
          el("span", { class: "level" }, a.level >= 2 ? "breached" : "at risk"),
          el("small", {}, a.engineer ? `${a.engineer}: ${a.detail}` : a.detail),
        ),
      ),
    ),
  );
}

function jobButton(job, engineer) {
  return el(
    "button",
    {
      type: "button",
      class: "link",
      "aria-label": `Select job ${job}`,
      onclick: () => select({ engineer, job }),
    },
    job,
  );
}

// ---- selection and the move form ---------------------------------------------------------

function select({ engineer, job }) {
  if (job) {
    const route = state.doc?.routes.find((r) => r.visits.some((v) => v.job === job));
    state.selected = { engineer: route ? route.engineer : null, job };
    if ([...$("move-job").options].some((o) => o.value === job)) $("move-job").value = job;
    renderEngineerOptions();
  } else if (engineer) {
    // Clicking an engineer (row name, route) names the target of the move.
    state.selected = { ...state.selected, engineer };
    if ([...$("move-engineer").options].some((o) => o.value === engineer)) {
      $("move-engineer").value = engineer;
      renderPositionOptions();
    }
  }
  highlight();
}

function highlight() {
  const { engineer, job } = state.selected;
  map.highlight(engineer, job);
  timeline.highlight(engineer, job);
  const pinned = !!state.doc?.routes.some((r) => r.visits.some((v) => v.job === $("move-job").value && v.pinned));
  $("unpin").disabled = !pinned || state.doc?.status === "superseded";
}

function renderMoveForm() {
  const doc = state.doc;
  const previous = $("move-job").value;
  const groups = [];
  if (doc) {
    for (const r of [...doc.routes].sort((a, b) => a.engineer.localeCompare(b.engineer))) {
      const jobs = r.visits.filter((v) => v.job);
      if (!jobs.length) continue;
      groups.push(
        el(
          "optgroup",
          { label: `${r.engineer_name} (${r.engineer})` },
          ...jobs.map((v) => el("option", { value: v.job }, `${v.job} · ${r.engineer}${v.pinned ? " · pinned" : ""}`)),
        ),
      );
    }
    if (doc.unassigned.length) {
      groups.push(
        el(
          "optgroup",
          { label: "Unassigned" },
          ...doc.unassigned.map((u) => el("option", { value: u.job }, `${u.job} · unassigned`)),
        ),
      );
    }
  }
  $("move-job").replaceChildren(...groups);
  if (previous && [...$("move-job").options].some((o) => o.value === previous)) $("move-job").value = previous;
  renderEngineerOptions();
}

/** Every active engineer of the territory (a new route is made for one without); those who
 * lack the selected job's skills say so, though the server has the last word. */
function renderEngineerOptions() {
  const previous = $("move-engineer").value;
  const job = state.jobs.get($("move-job").value);
  const counts = new Map((state.doc?.routes || []).map((r) => [r.engineer, r.visits.filter((v) => v.job).length]));
  $("move-engineer").replaceChildren(
    ...state.engineers.map((e) => {
      const lacks = job ? Object.entries(job.skills).filter(([s, l]) => (e.skills[s] || 0) < l) : [];
      const text =
        `${e.name} (${e.code}) · ${plural(counts.get(e.code) || 0, "job")}` +
        (lacks.length ? ` · lacks ${lacks.map(([s, l]) => `${humanise(s)} ${l}`).join(", ")}` : "");
      return el("option", { value: e.code }, text);
    }),
  );
  if (previous && state.engineers.some((e) => e.code === previous)) $("move-engineer").value = previous;
  renderPositionOptions();
}

function renderPositionOptions() {
  const route = state.doc?.routes.find((r) => r.engineer === $("move-engineer").value);
  const moving = $("move-job").value;
  const jobs = route ? route.visits.filter((v) => v.job && v.job !== moving) : [];
  const c = state.clock;
  $("move-position").replaceChildren(
    el("option", { value: "" }, "Best place (least added travel)"),
    ...jobs.map((v, i) => el("option", { value: i + 1 }, `${i + 1}: before ${v.job} (${c.time(v.start)})`)),
    el("option", { value: jobs.length + 1 }, `${jobs.length + 1}: last`),
  );
}

/** The route versions this view was drawn from: the server refuses a move on a changed route. */
function versions() {
  const out = {};
  for (const r of state.doc.routes) {
    if (r.engineer in out) return undefined; // a multi-day plan: versions are per route-day
    out[r.engineer] = r.version;
  }
  return out;
}

/** The violated rules of a refused move: the 409's `violations` when the error carries the
 * body, else read from its message ("… breaks: rule: message; rule: message"). */
function violationsOf(err) {
  if (Array.isArray(err.body?.violations)) return err.body.violations;
  const msg = Array.isArray(err.detail) ? err.detail.map((d) => d.msg).join("; ") : String(err.detail || "");
  const at = msg.indexOf(" breaks: ");
  if (at < 0) return [];
  return msg
    .slice(at + " breaks: ".length)
    .split(/; (?=[a-z_]+: )/)
    .map((part) => {
      const i = part.indexOf(": ");
      return i > 0 ? { rule: part.slice(0, i), message: part.slice(i + 2) } : { rule: "", message: part };
    });
}

async function move({ job, engineer, position, pin }) {
  if (!state.doc || !job || !engineer) return;
  const done = $("move-done");
  const refused = $("move-refused");
  done.textContent = `Moving ${job} to ${engineer}…`;
  refused.hidden = true;
  refused.replaceChildren();
  const body = { job, engineer, pin };
  if (position) body.position = position;
  const seen = versions();
  if (seen) body.versions = seen;
  try {
    const doc = await api(`/plans/${state.planId}/moves`, { method: "POST", body });
    const code = state.territory.code;
    const [geo, risks] = await Promise.all([
      api(`/plans/${state.planId}/geojson`),
      api(`/sla/at-risk?territory=${encodeURIComponent(code)}`),
    ]);
    const route = doc.routes.find((r) => r.visits.some((v) => v.job === job));
    const place = route ? route.visits.filter((v) => v.job).findIndex((v) => v.job === job) + 1 : 0;
    state.selected = { engineer, job };
    show(doc, geo, risks, { refit: false });
    $("move-job").value = job;
    $("move-engineer").value = engineer;
    renderPositionOptions();
    done.textContent =
      `Moved ${job} to ${route?.engineer_name || engineer} (${engineer}), place ${place}` + (pin ? ", pinned." : ".");
    say(summary(doc));
  } catch (err) {
    done.textContent = "";
    const rules = err.status === 409 ? violationsOf(err) : [];
    if (rules.length) {
      refused.append(
        el("p", {}, el("strong", {}, "Move refused: "), `${job} cannot go to ${engineer}; it would break:`),
        el(
          "ul",
          {},
          ...rules.map((v) =>
            el("li", { "data-testid": "violation", "data-rule": v.rule }, el("strong", {}, humanise(v.rule)), ` — ${v.message}`),
          ),
        ),
      );
    } else {
      showError(refused, err); // a stale view, a job under way, …: the API's words
      if (err.status === 409) refused.append(" ", el("button", { type: "button", class: "link", onclick: reload }, "Reload the plan"));
    }
    refused.hidden = false;
  }
}

async function unpin() {
  const job = $("move-job").value;
  if (!job || !state.planId) return;
  try {
    const doc = await api(`/plans/${state.planId}/jobs/${encodeURIComponent(job)}/unpin`, { method: "POST" });
    const geo = await api(`/plans/${state.planId}/geojson`);
    const risks = await api(`/sla/at-risk?territory=${encodeURIComponent(state.territory.code)}`);
    show(doc, geo, risks, { refit: false });
    $("move-done").textContent = `${job} is no longer pinned: later re-plans may give it to someone else.`;
  } catch (err) {
    fail(err);
  }
}

async function reload() {
  $("move-refused").hidden = true;
  try {
    await loadPlan(state.planId);
  } catch (err) {
    fail(err);
  }
}

// ---- runs and publishing -----------------------------------------------------------------

async function runPlan() {
  if (state.running) return;
  fail(null);
  const progress = $("run-progress");
  const limit = Number($("time-limit").value) || undefined;
  const { code, name } = state.territory;
  state.running = true;
  updateButtons();
  progress.hidden = false;
  progress.value = 0;
  const started = Date.now();
  try {
    let run = await api("/plans/runs", {
      method: "POST",
      body: { territory: code, day: state.day, ...(limit ? { time_limit: limit } : {}) },
    });
    while (run.status === "queued" || run.status === "running") {
      progress.value = run.progress;
      progress.setAttribute("aria-valuetext", `${Math.round(run.progress * 100)}%`);
      const secs = Math.round((Date.now() - started) / 1000);
      say(`Planning ${name} for ${state.day}: ${run.status}, ${Math.round(run.progress * 100)}% (${secs} s)…`);
      await new Promise((r) => setTimeout(r, POLL_MS));
      run = await api(`/plans/runs/${run.id}`);
    }
    if (run.status !== "succeeded" || !run.plan_id) throw new Error(`the plan run ${run.status}: ${run.message}`);
    progress.value = 1;
    progress.setAttribute("aria-valuetext", "done");
    await loadPlans({ select: run.plan_id });
    say(`Plan #${run.plan_id} is ready (draft). ${summary(state.doc)}`);
  } catch (err) {
    say("");
    fail(err);
  } finally {
    state.running = false;
    updateButtons();
  }
}

async function publish() {
  if (!state.planId) return;
  fail(null);
  try {
    const plan = await api(`/plans/${state.planId}/publish`, { method: "POST", body: {} });
    await loadPlans({ select: plan.id });
    say(`Plan #${plan.id} is published: its jobs are scheduled with their engineers.`);
  } catch (err) {
    fail(err);
  }
}

function updateButtons() {
  const status = state.doc?.status;
  $("publish").disabled = state.running || !state.planId || status !== "draft";
  $("run-plan").disabled = state.running || !state.territory;
  $("move-submit").disabled = !state.doc || status === "superseded";
  $("run-plan").textContent = state.running ? "Planning…" : "Run plan";
}

function syncUrl() {
  const params = new URLSearchParams({ territory: state.territory.code, day: state.day });
  if (state.planId) params.set("plan", state.planId);
  history.replaceState(null, "", `${location.pathname}?${params}`);
}

// ---- wiring ------------------------------------------------------------------------------

function wire() {
  const guarded = (f) => async (...args) => {
    try {
      await f(...args);
    } catch (err) {
      fail(err);
    }
  };
  const resetRun = () => {
    $("run-progress").hidden = true;
  };
  $("territory").addEventListener(
    "change",
    guarded(async () => {
      resetRun();
      setTerritory(state.territories.find((t) => t.code === $("territory").value));
      state.selected = { engineer: null, job: null };
      await loadPlans();
    }),
  );
  $("day").addEventListener(
    "change",
    guarded(async () => {
      if (!$("day").value) return;
      resetRun();
      state.day = $("day").value;
      await loadPlans();
    }),
  );
  $("plan").addEventListener(
    "change",
    guarded(async () => {
      resetRun();
      await loadPlan(Number($("plan").value), { refit: true });
    }),
  );
  $("pick").addEventListener("submit", (ev) => ev.preventDefault());
  $("run-plan").addEventListener("click", runPlan);
  $("publish").addEventListener("click", publish);
  $("logout").addEventListener("click", logout);
  $("move-job").addEventListener("change", () => {
    select({ engineer: null, job: $("move-job").value });
  });
  $("move-engineer").addEventListener("change", () => {
    renderPositionOptions();
    state.selected = { ...state.selected, engineer: $("move-engineer").value };
    highlight();
  });
  $("move-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    move({
      job: $("move-job").value,
      engineer: $("move-engineer").value,
      position: Number($("move-position").value) || null,
      pin: $("move-pin").checked,
    });
  });
  $("unpin").addEventListener("click", unpin);
  wireTabs();
}

/** The unassigned / at-risk tabs (WAI-ARIA tabs: click, or arrow keys between tabs). */
function wireTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const choose = (tab) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !on;
    }
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => choose(tab));
    tab.addEventListener("keydown", (ev) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[ev.key];
      if (!step) return;
      const next = tabs[(i + step + tabs.length) % tabs.length];
      choose(next);
      next.focus();
    });
  });
}

requireLogin(start);
