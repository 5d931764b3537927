// The route map, drawn in SVG from the plan's GeoJSON: Web Mercator fitted to the plan's
// bounding box, pan (drag) and zoom (wheel, buttons). Routes, homes, visits, depots and
// unassigned jobs are always drawn; map tiles are an optional layer underneath (configured
// by the server, none by default), so the board works without internet.

import { el, svg } from "./util.js";

const TILE = 256; // px of a tile; the world is TILE * 2^z px wide at zoom z
const MAX_ZOOM = 19;
const MAX_TILES = 120; // a guard against a huge window asking a tile server for hundreds

// Web Mercator in "world units": the world is the square [0, 1] × [0, 1].
const mercX = (lon) => (lon + 180) / 360;
function mercY(lat) {
  const s = Math.sin((Math.max(-85, Math.min(85, lat)) * Math.PI) / 180);
  return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
}
const lonOf = (x) => x * 360 - 180;
const latOf = (y) => (Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180) / Math.PI;

/** A step of 1, 2 or 5 × 10^k near `span / 5`, for graticule lines. */
function niceStep(span) {
  const raw = span / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((f) => f * p).find((s) => s >= raw) ?? 10 * p;
}

/**
 * Mount the map in `host`. `onSelect({engineer, job})` is called when a route or point is
 * clicked. Returns {show(geojson, colours, describe), highlight(engineer, job), setTiles(url,
 * attribution), clear(message)}.
 */
export function createMap(host, { onSelect }) {
  const root = svg("svg", {
    class: "map-svg",
    role: "group",
    "aria-label": "Route map",
    "data-testid": "map",
  });
  const layers = {};
  for (const name of ["background", "tiles", "grid", "routes", "points"]) {
    layers[name] = svg("g", { class: `layer-${name}` });
    root.append(layers[name]);
  }
  const note = el("p", { class: "map-note", hidden: true });
  const credit = el("p", { class: "map-credit", hidden: true });
  const zoomBy = (f) => {
    if (!view) return;
    view.scale = clampScale(view.scale * f);
    render();
  };
  const controls = el(
    "div",
    { class: "map-controls", role: "group", "aria-label": "Map view" },
    el("button", { type: "button", "aria-label": "Zoom in", onclick: () => zoomBy(1.5) }, "+"),
    el("button", { type: "button", "aria-label": "Zoom out", onclick: () => zoomBy(1 / 1.5) }, "−"),
    el("button", { type: "button", "aria-label": "Fit the routes", onclick: () => fit() }, "Fit"),
  );
  host.append(root, controls, note, credit);

  let data = null; // {routes, visits, unassigned, depots, colours, describe}
  let view = null; // {cx, cy, scale}: the world point at the centre, px per world unit
  let tiles = { url: "", attribution: "" };
  let active = { engineer: null, job: null };
  const tileCache = new Map(); // "z/x/y" → <image>, reused while panning

  const size = () => {
    const r = root.getBoundingClientRect();
    return { w: Math.max(1, r.width), h: Math.max(1, r.height) };
  };
  const clampScale = (s) => Math.max(TILE, Math.min(TILE * 2 ** MAX_ZOOM, s));

  function fit() {
    if (!data) return;
    const xs = [];
    const ys = [];
    const add = ([lon, lat]) => {
      xs.push(mercX(lon));
      ys.push(mercY(lat));
    };
    data.routes.forEach((f) => f.geometry.coordinates.forEach(add));
    [...data.visits, ...data.unassigned, ...data.depots].forEach((f) => add(f.geometry.coordinates));
    if (!xs.length) return;
    const { w, h } = size();
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const dx = Math.max(x1 - x0, 1e-6);
    const dy = Math.max(y1 - y0, 1e-6);
    view = { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, scale: clampScale(0.9 * Math.min(w / dx, h / dy)) };
    render();
  }

  function project([lon, lat]) {
    const { w, h } = size();
    return [(mercX(lon) - view.cx) * view.scale + w / 2, (mercY(lat) - view.cy) * view.scale + h / 2];
  }

  function render() {
    if (!view) return;
    const { w, h } = size();
    root.setAttribute("viewBox", `0 0 ${w} ${h}`);
    layers.background.replaceChildren(svg("rect", { x: 0, y: 0, width: w, height: h, class: "map-bg" }));
    renderTiles(w, h);
    renderGrid(w, h);
    renderFeatures();
  }

  function renderTiles(w, h) {
    if (!tiles.url) {
      layers.tiles.replaceChildren();
      tileCache.clear();
      return;
    }
    const z = Math.max(0, Math.min(MAX_ZOOM, Math.round(Math.log2(view.scale / TILE))));
    const n = 2 ** z;
    const px = view.scale / n;
    const left = view.cx - w / 2 / view.scale;
    const top = view.cy - h / 2 / view.scale;
    const [tx0, tx1] = [Math.floor(left * n), Math.floor((left + w / view.scale) * n)];
    const [ty0, ty1] = [Math.max(0, Math.floor(top * n)), Math.min(n - 1, Math.floor((top + h / view.scale) * n))];
    const keep = new Set();
    if ((tx1 - tx0 + 1) * (ty1 - ty0 + 1) <= MAX_TILES) {
      for (let ty = ty0; ty <= ty1; ty++) {
        for (let tx = tx0; tx <= tx1; tx++) {
          const wx = ((tx % n) + n) % n;
          const key = `${z}/${wx}/${ty}/${tx}`;
          keep.add(key);
          let image = tileCache.get(key);
          if (!image) {
            const url = tiles.url
              .replaceAll("{z}", z)
              .replaceAll("{x}", wx)
              .replaceAll("{y}", ty)
              .replaceAll("{s}", "abc"[(wx + ty) % 3])
              .replaceAll("{r}", "");
            image = svg("image", { href: url, class: "tile", preserveAspectRatio: "none" });
            image.addEventListener("error", () => image.setAttribute("visibility", "hidden"));
            tileCache.set(key, image);
          }
          image.setAttribute("x", (tx / n - view.cx) * view.scale + w / 2);
          image.setAttribute("y", (ty / n - view.cy) * view.scale + h / 2);
          image.setAttribute("width", px + 0.5); // overlap half a pixel: no seams
          image.setAttribute("height", px + 0.5);
        }
      }
    }
    for (const key of [...tileCache.keys()]) if (!keep.has(key)) tileCache.delete(key);
    layers.tiles.replaceChildren(...[...keep].map((k) => tileCache.get(k)));
  }

  /** Faint lines of latitude and longitude: bearings when there are no tiles. */
  function renderGrid(w, h) {
    const lon0 = lonOf(view.cx - w / 2 / view.scale);
    const lon1 = lonOf(view.cx + w / 2 / view.scale);
    const lat0 = latOf(view.cy + h / 2 / view.scale);
    const lat1 = latOf(view.cy - h / 2 / view.scale);
    const step = niceStep(Math.max(lon1 - lon0, lat1 - lat0));
    const digits = Math.max(0, -Math.floor(Math.log10(step)));
    const out = [];
    for (let lon = Math.ceil(lon0 / step) * step; lon <= lon1; lon += step) {
      const [x] = project([lon, lat0]);
      out.push(svg("line", { x1: x, x2: x, y1: 0, y2: h, class: "grid" }));
      out.push(svg("text", { x: x + 3, y: h - 4, class: "grid-label" }, `${lon.toFixed(digits)}°E`));
    }
    for (let lat = Math.ceil(lat0 / step) * step; lat <= lat1; lat += step) {
      const [, y] = project([lon0, lat]);
      out.push(svg("line", { x1: 0, x2: w, y1: y, y2: y, class: "grid" }));
      out.push(svg("text", { x: 3, y: y - 3, class: "grid-label" }, `${lat.toFixed(digits)}°N`));
    }
    layers.grid.replaceChildren(...out);
  }

  function renderFeatures() {
    const { colours, describe } = data;
    const routes = [];
    const points = [];
    for (const f of data.routes) {
      const p = f.properties;
      const colour = colours.get(p.engineer) || "#555";
      const coords = f.geometry.coordinates.map(project);
      const state = active.engineer ? (active.engineer === p.engineer ? "active" : "dim") : "";
      if (p.visits > 0) {
        const d = coords.map(([x, y], i) => `${i ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`).join("");
        routes.push(
          svg(
            "path",
            {
              d,
              class: `route ${state}`,
              stroke: colour,
              "data-testid": "route-path",
              "data-engineer": p.engineer,
              onclick: () => onSelect({ engineer: p.engineer, job: null }),
            },
            svg("title", {}, describe.route(p)),
          ),
        );
      }
      const [hx, hy] = coords[0];
      points.push(
        svg(
          "path",
          {
            d: `M${hx - 6},${hy + 5}h12v-7l-6,-5l-6,5z`,
            class: `home ${state}`,
            fill: colour,
            "data-testid": "home",
            "data-engineer": p.engineer,
          },
          svg("title", {}, `Home base of ${p.engineer_name} (${p.engineer})`),
        ),
      );
    }
    for (const f of data.visits) {
      const p = f.properties;
      const [x, y] = project(f.geometry.coordinates);
      const classes = ["visit-point"];
      if (p.late_minutes > 0) classes.push("late");
      if (active.job === p.job) classes.push("selected");
      else if (active.engineer && active.engineer !== p.engineer) classes.push("dim");
      points.push(
        svg(
          "circle",
          {
            cx: x,
            cy: y,
            r: active.job === p.job ? 8 : 5,
            fill: colours.get(p.engineer) || "#555",
            class: classes.join(" "),
            "data-testid": "visit-point",
            "data-job": p.job,
            "data-engineer": p.engineer,
            onclick: () => onSelect({ engineer: p.engineer, job: p.job }),
          },
          svg("title", {}, describe.visit(p)),
        ),
      );
    }
    for (const f of data.depots) {
      const p = f.properties;
      const [x, y] = project(f.geometry.coordinates);
      points.push(
        svg(
          "g",
          { class: "depot", "data-testid": "depot", "data-depot": p.depot, transform: `translate(${x},${y})` },
          svg("rect", { x: -7, y: -7, width: 14, height: 14, rx: 2 }),
          svg("text", { x: 0, y: 4, "text-anchor": "middle" }, "D"),
          svg("title", {}, `Depot ${p.name} (${p.depot})`),
        ),
      );
    }
    for (const f of data.unassigned) {
      const p = f.properties;
      const [x, y] = project(f.geometry.coordinates);
      const selected = active.job === p.job ? " selected" : "";
      points.push(
        svg(
          "g",
          {
            class: `unassigned${selected}`,
            "data-testid": "unassigned-marker",
            "data-job": p.job,
            transform: `translate(${x},${y})`,
            onclick: () => onSelect({ engineer: null, job: p.job }),
          },
          svg("circle", { r: 7 }),
          svg("path", { d: "M-3.5,-3.5L3.5,3.5M3.5,-3.5L-3.5,3.5" }),
          svg("title", {}, describe.unassigned(p)),
        ),
      );
    }
    layers.routes.replaceChildren(...routes);
    layers.points.replaceChildren(...points);
  }

  // Pan by dragging the background; zoom with the wheel around the pointer.
  let drag = null;
  root.addEventListener("pointerdown", (ev) => {
    if (!view || ev.button !== 0) return;
    drag = { x: ev.clientX, y: ev.clientY, moved: false };
  });
  root.addEventListener("pointermove", (ev) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x;
    const dy = ev.clientY - drag.y;
    if (!drag.moved) {
      if (Math.hypot(dx, dy) < 4) return; // still a click on a point, not a pan
      root.setPointerCapture(ev.pointerId); // only now: capturing earlier retargets the click
    }
    drag = { x: ev.clientX, y: ev.clientY, moved: true };
    view.cx -= dx / view.scale;
    view.cy -= dy / view.scale;
    render();
  });
  const endDrag = () => {
    drag = null;
  };
  root.addEventListener("pointerup", endDrag);
  root.addEventListener("pointercancel", endDrag);
  root.addEventListener(
    "wheel",
    (ev) => {
      if (!view) return;
      ev.preventDefault();
      const r = root.getBoundingClientRect();
      const ox = ev.clientX - r.left - r.width / 2;
      const oy = ev.clientY - r.top - r.height / 2;
      const wx = view.cx + ox / view.scale;
      const wy = view.cy + oy / view.scale;
      view.scale = clampScale(view.scale * Math.exp(-ev.deltaY * 0.0015));
      view.cx = wx - ox / view.scale;
      view.cy = wy - oy / view.scale;
      render();
    },
    { passive: false },
  );
  new ResizeObserver(() => render()).observe(root);

  return {
    /** Draw a plan; `refit` frames it (another plan), else the view stays (after a move). */
    show(geojson, colours, describe, { refit = true } = {}) {
      const by = (kind) => geojson.features.filter((f) => f.properties.kind === kind);
      data = {
        routes: by("route"),
        visits: by("visit"),
        unassigned: by("unassigned"),
        depots: by("depot"),
        colours,
        describe,
      };
      note.hidden = true;
      root.setAttribute(
        "aria-label",
        `Route map: ${data.routes.filter((f) => f.properties.visits > 0).length} routes, ` +
          `${data.depots.length} depots, ${data.unassigned.length} unassigned jobs`,
      );
      if (refit || !view) fit();
      else render();
    },
    highlight(engineer, job) {
      active = { engineer, job };
      if (data && view) renderFeatures();
    },
    setTiles(url, attribution) {
      tiles = { url: url || "", attribution: attribution || "" };
      credit.textContent = tiles.url ? tiles.attribution : "";
      credit.hidden = !(tiles.url && tiles.attribution);
      render();
    },
    clear(message) {
      data = null;
      layers.routes.replaceChildren();
      layers.points.replaceChildren();
      root.setAttribute("aria-label", "Route map: no plan");
      note.textContent = message;
      note.hidden = false;
    },
  };
}
