// The timeline: one row per engineer's route, on one time axis for the plan's day. Travel,
// waiting, visits, breaks and depot stops as bars; SLA deadlines as markers; late visits
// highlighted. Visits can be dragged to another row: dropped on the name, the job goes to the
// best place in that route; dropped on the bars, to the place at that time of day.

import { el, plural } from "./util.js";

const HOUR = 3600_000;

/** The offset (ms) of an ISO time like "2026-11-24T08:00+08:00", for local hour ticks. */
function offsetOf(iso) {
  const m = /([+-])(\d\d):?(\d\d)$/.exec(iso || "");
  return m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000 : 0;
}

/**
 * Mount the timeline in `host`. `onSelect({engineer, job})` on a click; `onDrop({job,
 * engineer, position})` when a job is dropped on a row (`position` null: best place).
 * Returns {show(doc, ctx), highlight(engineer, job), clear(message)}.
 */
export function createTimeline(host, { onSelect, onDrop }) {
  let dragged = null; // the job being dragged (dataTransfer is unreadable before the drop)
  let rows = [];

  function show(doc, { colours, jobs, clock, names }) {
    const routes = [...doc.routes].sort((a, b) => a.engineer.localeCompare(b.engineer));
    if (!routes.length) {
      clear("This plan has no routes.");
      return;
    }
    const off = offsetOf(routes[0].start);
    const starts = routes.map((r) => Date.parse(r.start));
    const ends = routes.map((r) => Date.parse(r.end));
    const t0 = Math.floor((Math.min(...starts) + off) / HOUR) * HOUR - off;
    const t1 = Math.ceil((Math.max(...ends) + off) / HOUR) * HOUR - off;
    const hours = Math.max(1, Math.round((t1 - t0) / HOUR));
    const pct = (t) => (((t - t0) / (t1 - t0)) * 100).toFixed(3) + "%";
    const span = (a, b) => ({ left: pct(a), width: (((b - a) / (t1 - t0)) * 100).toFixed(3) + "%" });

    const ticks = [];
    for (let h = 0; h <= hours; h++) {
      const t = t0 + h * HOUR;
      ticks.push(el("span", { class: "tl-tick", style: { left: pct(t) } }, clock.time(t)));
    }
    const axis = el(
      "div",
      { class: "tl-row tl-axis", "aria-hidden": "true" },
      el("div", { class: "tl-who" }, "Engineer"),
      el("div", { class: "tl-track" }, ...ticks),
    );

    rows = routes.map((r) => {
      const colour = colours.get(r.engineer) || "#555";
      const jobVisits = r.visits.filter((v) => v.job);
      const late = jobVisits.filter((v) => v.late_minutes > 0).length;
      const segs = [];
      let prev = Date.parse(r.start);
      for (const v of r.visits) {
        const [eta, start, end] = [Date.parse(v.eta), Date.parse(v.start), Date.parse(v.end)];
        if (eta > prev) {
          segs.push(
            el("div", {
              class: "seg travel",
              style: span(prev, eta),
              title: `Travel ${clock.time(prev)}–${clock.time(eta)}`,
            }),
          );
        }
        if (start > eta) {
          segs.push(
            el("div", {
              class: "seg wait",
              style: span(eta, start),
              title: `Waiting ${clock.time(eta)}–${clock.time(start)} (customer's time window)`,
            }),
          );
        }
        segs.push(segment(r, v, { colour, style: span(start, end), jobs, clock, day: doc.day }));
        prev = Math.max(prev, end);
      }
      const back = Date.parse(r.end);
      if (back > prev) {
        segs.push(
          el("div", {
            class: "seg travel",
            style: span(prev, back),
            title: `Travel home ${clock.time(prev)}–${clock.time(back)}`,
          }),
        );
      }
      // SLA deadlines (on site by) of this route's jobs, where they fall inside the day shown.
      for (const v of jobVisits) {
        const deadline = jobs.get(v.job)?.response_deadline;
        const t = deadline ? Date.parse(deadline) : NaN;
        if (!(t >= t0 && t <= t1)) continue;
        const missed = Date.parse(v.eta) > t;
        segs.push(
          el("div", {
            class: `tl-sla${missed ? " missed" : ""}`,
            style: { left: pct(t) },
            "data-testid": "sla-marker",
            "data-job": v.job,
            title: `${v.job}: SLA deadline, on site by ${clock.time(t)}${missed ? " (planned after it)" : ""}`,
          }),
        );
      }
      const name = names.get(r.engineer) || r.engineer_name;
      const who = el(
        "div",
        {
          class: "tl-who",
          title: `Drop a job here to give it to ${r.engineer_name} at the best place`,
          onclick: () => onSelect({ engineer: r.engineer, job: null }),
        },
        el("span", { class: "swatch", style: { background: colour } }),
        el(
          "span",
          { class: "tl-label" },
          el("span", { class: "tl-name" }, `${name} `, el("span", { class: "code" }, r.engineer)),
          el(
            "span",
            { class: "tl-meta" },
            `${plural(jobVisits.length, "job")} · ${r.distance_km} km · ${r.travel_minutes} min travel` +
              (late ? ` · ${late} late` : ""),
          ),
        ),
      );
      const now = Date.now();
      if (now > t0 && now < t1) segs.push(el("div", { class: "tl-now", style: { left: pct(now) }, title: "Now" }));
      const track = el("div", { class: "tl-track", style: { "--hours": hours } }, ...segs);
      const row = el(
        "li",
        {
          class: "tl-row",
          "data-testid": "timeline-row",
          "data-engineer": r.engineer,
          "data-jobs": jobVisits.length,
          "aria-label": `${r.engineer_name} (${r.engineer}): ${plural(jobVisits.length, "job")}`,
        },
        who,
        track,
      );
      dropTarget(row, who, () => ({ engineer: r.engineer, position: null }));
      dropTarget(row, track, (ev) => {
        // The place at the drop's time of day: after every visit that is mostly before it.
        const box = track.getBoundingClientRect();
        const t = t0 + ((ev.clientX - box.left) / box.width) * (t1 - t0);
        const before = jobVisits.filter(
          (v) => v.job !== dragged && (Date.parse(v.start) + Date.parse(v.end)) / 2 < t,
        ).length;
        return { engineer: r.engineer, position: before + 1 };
      });
      return row;
    });

    host.replaceChildren(axis, el("ol", { class: "tl-rows", "aria-label": "Timeline, one row per engineer" }, ...rows));
  }

  function segment(route, v, { colour, style, jobs, clock, day }) {
    const times = `${clock.time(v.start)}–${clock.time(v.end)}`;
    if (v.kind === "break") {
      return el("div", { class: "seg break", style, title: `Break ${times}`, "aria-label": `Break ${times}` });
    }
    if (!v.job) {
      return el("div", { class: "seg depot", style, title: `Depot stop ${times}`, "aria-label": `Depot stop ${times}` });
    }
    const job = jobs.get(v.job);
    const facts = [`${v.job}, ${times}`];
    if (job) facts.push(`${job.description || "visit"} (${Object.keys(job.skills).join(", ")})`);
    if (job?.response_deadline) facts.push(`SLA: on site by ${clock.when(job.response_deadline, day)}`);
    if (v.late_minutes > 0) facts.push(`late by ${v.late_minutes} min`);
    if (v.pinned) facts.push("pinned");
    const label = facts.join(", ");
    return el(
      "button",
      {
        type: "button",
        class: ["seg", "visit", v.late_minutes > 0 && "late", v.pinned && "pinned"].filter(Boolean).join(" "),
        style: { ...style, "--c": colour },
        draggable: "true",
        "data-testid": "visit",
        "data-job": v.job,
        "data-engineer": route.engineer,
        "aria-label": label,
        title: `${label}\nDrag to another engineer's row to move it.`,
        onclick: () => onSelect({ engineer: route.engineer, job: v.job }),
        ondragstart: (ev) => startDrag(ev, v.job),
        ondragend: endDrag,
      },
      v.job,
    );
  }

  function startDrag(ev, job) {
    dragged = job;
    ev.dataTransfer.setData("text/plain", job);
    ev.dataTransfer.effectAllowed = "move";
    host.classList.add("dragging");
  }

  function endDrag() {
    dragged = null;
    host.classList.remove("dragging");
    host.querySelectorAll(".drop-here").forEach((n) => n.classList.remove("drop-here"));
  }

  function dropTarget(row, zone, where) {
    zone.addEventListener("dragover", (ev) => {
      if (!dragged) return;
      ev.preventDefault();
      ev.dataTransfer.dropEffect = "move";
      row.classList.add("drop-here");
    });
    zone.addEventListener("dragleave", () => row.classList.remove("drop-here"));
    zone.addEventListener("drop", (ev) => {
      ev.preventDefault();
      const job = dragged || ev.dataTransfer.getData("text/plain");
      const target = where(ev);
      endDrag();
      if (job) onDrop({ job, ...target });
    });
  }

  function highlight(engineer, job) {
    for (const row of rows) {
      row.classList.toggle("active", !!engineer && row.dataset.engineer === engineer);
      row.querySelectorAll(".visit").forEach((b) => b.classList.toggle("selected", b.dataset.job === job));
    }
  }

  function clear(message) {
    rows = [];
    host.replaceChildren(el("p", { class: "empty" }, message));
  }

  return {
    show,
    highlight,
    clear,
    /** Let other lists (unassigned jobs) be dragged onto the rows too. */
    draggable(node, job) {
      node.setAttribute("draggable", "true");
      node.addEventListener("dragstart", (ev) => startDrag(ev, job));
      node.addEventListener("dragend", endDrag);
    },
  };
}
