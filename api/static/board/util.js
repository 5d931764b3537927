// Small helpers shared by the board's modules: DOM building, times in the territory's zone,
// and one colour per engineer (the same on the map and the timeline).

/** `el("div", {class: "x", dataset: {job: "J1"}, onclick: f}, child, "text")`: an element. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** The same for SVG elements. */
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

function setAttrs(node, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "style" && typeof v === "object") {
      for (const [name, value] of Object.entries(v)) node.style.setProperty(name.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase()), value);
    }
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
}

/** Clock times ("08:05") and dates in the territory's time zone, whatever the browser's. */
export function clock(tz) {
  const hm = new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const dayHm = new Intl.DateTimeFormat("en-GB", {
    timeZone: tz,
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  const ymd = new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" });
  return {
    time: (t) => hm.format(new Date(t)),
    /** "10:00", or "Wed 25 Nov, 10:00" when `t` is not on `day` (YYYY-MM-DD). */
    when: (t, day) => (ymd.format(new Date(t)) === day ? hm.format(new Date(t)) : dayHm.format(new Date(t))),
  };
}

/** Distinct, readable colours: hues a golden angle apart, dark enough for white text. */
export function colourFor(index) {
  const hue = Math.round((index * 137.508 + 210) % 360);
  return `hsl(${hue} 68% 40%)`;
}

/** "no_shift_in_window" → "no shift in window". */
export function humanise(code) {
  return String(code || "").replaceAll("_", " ");
}

export function plural(n, word, many = word + "s") {
  return `${n} ${n === 1 ? word : many}`;
}
