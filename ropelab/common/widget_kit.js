// ropelab widget kit: what every widget module shares (controls bound to the model, SVG drawing
// helpers, the readout). A widget module defines one object `WIDGET` and nothing else:
//
//   const WIDGET = {
//     name, width, height,                  // the SVG's coordinate box (it scales to the page)
//     controls: [{ name, kind, label, ... }],  // kind: "range" | "log" | "select" | "checkbox" | "dropdown"
//     compute(values, fixed) -> state,      // the numbers, from the control values (and fixed traits)
//     setup(svg, L, state) -> ctx,          // draw what never moves; return the parts that do
//     update(ctx, state, L),                // move those parts to a new state
//     readout(state, L) -> html,            // the numbers under the figure (rlVal marks each one)
//     couple(name, values, old, specs),     // optional: a control that moves others (e.g. m and n together)
//   };
//
// ropelab (Python) joins this kit, the module and a one-line `export default` into the widget's
// ES module; the same kit and module, wrapped in a plain <script> with a stand-in model that
// holds the starting state, draw the widget where no kernel runs (a website, an HTML export).
// Everything is computed here, in the page: a slider move never waits for Python.

const RL_SVG = "http://www.w3.org/2000/svg";

function rlEl(tag, attrs, parent, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

function rlSvg(tag, attrs, parent, text) {
  const e = document.createElementNS(RL_SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) rlText(e, text);
  if (parent) parent.appendChild(e);
  return e;
}

// SVG text with ^{superscripts} and _{subscripts} (e^{iθ}, θ_{j}) as raised or lowered tspans
function rlText(e, text) {
  const s = String(text);
  if (!/[\^_]\{/.test(s)) {
    e.textContent = s;
    return;
  }
  e.textContent = "";
  const re = /([\^_])\{([^}]*)\}/g;
  let last = 0;
  let m;
  while ((m = re.exec(s))) {
    if (m.index > last) e.appendChild(document.createTextNode(s.slice(last, m.index)));
    const t = document.createElementNS(RL_SVG, "tspan");
    t.setAttribute("baseline-shift", m[1] === "^" ? "super" : "sub");
    t.setAttribute("font-size", "72%");
    t.textContent = m[2];
    e.appendChild(t);
    last = re.lastIndex;
  }
  if (last < s.length) e.appendChild(document.createTextNode(s.slice(last)));
}

// a number with `digits` decimals, a true minus sign and no "-0.000"
function rlNum(v, digits) {
  if (!Number.isFinite(v)) return String(v);
  const s = Math.abs(v) < 0.5 * Math.pow(10, -digits) ? (0).toFixed(digits) : v.toFixed(digits);
  return s.replace("-", "−");
}

// a whole number with thousands separators (1,048,576)
function rlInt(v) {
  return Math.round(v).toLocaleString("en-US").replace("-", "−");
}

// significant digits, like Python's "{:.Ng}" (N = 6 as in "{:g}"): trailing zeros dropped, the
// exponent form (1e+06, 3.162e-05) exactly where Python uses it, decided after rounding
function rlSig(v, digits = 6) {
  if (v === 0) return "0";
  if (!Number.isFinite(v)) return String(v);
  const [m, x] = v.toExponential(digits - 1).split("e");
  const exp = parseInt(x, 10);
  const trim = (t) => (t.includes(".") ? t.replace(/0+$/, "").replace(/\.$/, "") : t);
  const s = exp < -4 || exp >= digits
    ? `${trim(m)}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`
    : trim(v.toFixed(Math.max(0, digits - 1 - exp)));
  return s.replace(/^-/, "−");
}

// one number of the readout: shown as `text`, with its full value for whoever checks it
function rlVal(key, value, text) {
  const v = typeof value === "number" ? String(value) : value;
  return `<span data-key="${key}" data-value="${v}">${text}</span>`;
}

function rlLinear(d0, d1, r0, r1) {
  const k = (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

function rlLog(d0, d1, r0, r1) {
  const a = Math.log10(d0);
  const k = (r1 - r0) / (Math.log10(d1) - a);
  return (v) => r0 + (Math.log10(v) - a) * k;
}

// matplotlib's symlog (base 10, linthresh t, linscale s): linear within [-t, t], logarithmic beyond
function rlSymlog(d0, d1, r0, r1, t, s = 1) {
  const adj = s / (1 - 1 / 10);
  const f = (v) => (Math.abs(v) <= t ? v * adj : Math.sign(v) * t * (adj + Math.log10(Math.abs(v) / t)));
  const a = f(d0);
  const k = (r1 - r0) / (f(d1) - a);
  return (v) => r0 + (f(v) - a) * k;
}

// an SVG path through the points (xs[i], ys[i]); a non-finite point breaks the line
function rlPath(xs, ys, sx, sy) {
  let d = "";
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    const X = sx(xs[i]);
    const Y = sy(ys[i]);
    if (!Number.isFinite(X) || !Number.isFinite(Y)) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${X.toFixed(2)},${Y.toFixed(2)}`;
    pen = true;
  }
  return d || "M0,0";
}

// A plot frame: box {x, y, w, h} in SVG units; opts.x / opts.y the data ranges;
// opts.xscale / opts.yscale "linear" (default), "log" or ["symlog", linthresh, linscale]; ticks as
// [value, label] lists.
// Returns {sx, sy, g (clipped group for the data), frame (unclipped group), title (text element)}.
function rlAxes(svgRoot, box, opts) {
  const scale = (kind, d, r0, r1) => {
    if (kind === "log") return rlLog(d[0], d[1], r0, r1);
    if (Array.isArray(kind) && kind[0] === "symlog") return rlSymlog(d[0], d[1], r0, r1, kind[1], kind[2]);
    return rlLinear(d[0], d[1], r0, r1);
  };
  const sx = scale(opts.xscale, opts.x, box.x, box.x + box.w);
  const sy = scale(opts.yscale, opts.y, box.y + box.h, box.y);
  const frame = rlSvg("g", { class: "rl-axes" }, svgRoot);
  const id = `rlclip${Math.random().toString(36).slice(2, 10)}`;
  const clip = rlSvg("clipPath", { id }, frame);
  rlSvg("rect", { x: box.x, y: box.y, width: box.w, height: box.h }, clip);
  for (const [v, label] of opts.xticks || []) {
    const X = sx(v);
    rlSvg("line", { x1: X, x2: X, y1: box.y + box.h, y2: box.y + box.h + 6, class: "rl-tick" }, frame);
    rlSvg("text", { x: X, y: box.y + box.h + 22, "text-anchor": "middle", class: "rl-ticklabel" }, frame, label);
    if (opts.grid) rlSvg("line", { x1: X, x2: X, y1: box.y, y2: box.y + box.h, class: "rl-grid" }, frame);
  }
  for (const [v, label] of opts.yticks || []) {
    const Y = sy(v);
    rlSvg("line", { x1: box.x - 6, x2: box.x, y1: Y, y2: Y, class: "rl-tick" }, frame);
    rlSvg("text", { x: box.x - 10, y: Y + 5, "text-anchor": "end", class: "rl-ticklabel" }, frame, label);
    if (opts.grid) rlSvg("line", { x1: box.x, x2: box.x + box.w, y1: Y, y2: Y, class: "rl-grid" }, frame);
  }
  rlSvg("rect", { x: box.x, y: box.y, width: box.w, height: box.h, class: "rl-frame" }, frame);
  if (opts.xlabel) {
    rlSvg("text", { x: box.x + box.w / 2, y: box.y + box.h + 46, "text-anchor": "middle", class: "rl-label" },
      frame, opts.xlabel);
  }
  if (opts.ylabel) {
    const X = box.x - (opts.ylabelGap || 58);
    const Y = box.y + box.h / 2;
    rlSvg("text", { x: X, y: Y, "text-anchor": "middle", transform: `rotate(-90 ${X} ${Y})`, class: "rl-label" },
      frame, opts.ylabel);
  }
  const title = rlSvg("text", { x: box.x + box.w / 2, y: box.y - 14, "text-anchor": "middle", class: "rl-title" },
    frame, opts.title || "");
  const g = rlSvg("g", { "clip-path": `url(#${id})` }, svgRoot);
  return { sx, sy, g, frame, title, box };
}

// An arrow from (x0, y0) to (x1, y1) in SVG units: a shaft and a filled head; `set` moves it.
function rlArrow(parent, attrs) {
  const g = rlSvg("g", { class: "rl-arrow", ...(attrs || {}) }, parent);
  const width = Number((attrs || {})["stroke-width"] || 3);
  const shaft = rlSvg("line", { "stroke-linecap": "round" }, g);
  const head = rlSvg("polygon", { stroke: "none" }, g);
  const arrow = {
    g,
    set(x0, y0, x1, y1) {
      const dx = x1 - x0;
      const dy = y1 - y0;
      const len = Math.hypot(dx, dy);
      const size = Math.min(6 + 3.2 * width, 0.6 * len);
      const ux = len ? dx / len : 0;
      const uy = len ? dy / len : 0;
      const bx = x1 - ux * size;
      const by = y1 - uy * size;
      shaft.setAttribute("x1", x0);
      shaft.setAttribute("y1", y0);
      shaft.setAttribute("x2", bx);
      shaft.setAttribute("y2", by);
      const w = size * 0.45;
      head.setAttribute("points",
        `${x1},${y1} ${bx - uy * w},${by + ux * w} ${bx + uy * w},${by - ux * w}`);
      g.setAttribute("data-tip", `${x1.toFixed(2)},${y1.toFixed(2)}`);
    },
  };
  return arrow;
}

const RL_CSS = `
.ropelab-widget { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", sans-serif;
  color: #222; max-width: 1100px; font-size: var(--ropelab-widget-font-size, 15px); }
.ropelab-widget .rl-controls { display: flex; flex-direction: column; gap: 0.3em; margin: 0.3em 0 0.4em; }
.ropelab-widget .rl-control { display: flex; align-items: center; gap: 0.7em; font-size: 1em; }
.ropelab-widget .rl-control label.rl-name { width: 11em; text-align: right; flex: none; }
.ropelab-widget .rl-control .rl-spacer { width: 11em; flex: none; }
.ropelab-widget .rl-control label.rl-check { width: auto; text-align: left; }
.ropelab-widget .rl-control input[type=range] { width: 24em; max-width: 55vw; }
.ropelab-widget .rl-control select { font-size: 1em; }
.ropelab-widget .rl-control .rl-shown { min-width: 5em; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.ropelab-widget svg.rl-figure { width: 100%; height: auto; display: block; background: #fff;
  max-height: var(--ropelab-figure-max-height, none); }
.ropelab-widget svg text { font-family: "DejaVu Sans", "Noto Sans CJK SC", system-ui, sans-serif; fill: #222; }
.ropelab-widget .rl-ticklabel { font-size: 13px; }
.ropelab-widget .rl-label { font-size: 15px; }
.ropelab-widget .rl-title { font-size: 17px; }
.ropelab-widget .rl-frame { fill: none; stroke: #444; stroke-width: 1; }
.ropelab-widget .rl-tick { stroke: #444; stroke-width: 1; }
.ropelab-widget .rl-grid { stroke: #ddd; stroke-width: 0.8; }
.ropelab-widget .rl-readout { font-family: ui-monospace, "DejaVu Sans Mono", "Noto Sans Mono CJK SC", monospace;
  font-size: 1em; line-height: 1.55; min-height: 2em; }
.ropelab-widget .rl-error { color: #b00020; font-size: 1em; }
`;

function rlStyle(doc) {
  if (doc.getElementById("ropelab-widget-style")) return;
  const s = doc.createElement("style");
  s.id = "ropelab-widget-style";
  s.textContent = RL_CSS;
  doc.head.appendChild(s);
}

// A stand-in for the widget model where no kernel runs: holds the state, tells listeners of changes.
function ropelabStaticModel(data) {
  const state = { ...data };
  const listeners = {};
  return {
    get: (k) => state[k],
    set(k, v) {
      state[k] = v;
      for (const f of listeners[`change:${k}`] || []) f();
    },
    save_changes() {},
    on(ev, f) {
      (listeners[ev] = listeners[ev] || []).push(f);
    },
    off(ev, f) {
      if (listeners[ev]) listeners[ev] = listeners[ev].filter((g) => g !== f);
    },
  };
}

function ropelabMount(W, { model, el }) {
  rlStyle(el.ownerDocument || document);
  const lang = model.get("language") === "zh" ? "zh" : "en";
  const L = (t) => (t === undefined || t === null ? "" : typeof t === "string" ? t : (t[lang] ?? t.en));
  const root = rlEl("div", { class: "ropelab-widget", "data-widget": W.name, "data-redraws": "0", lang }, el);
  root.setAttribute("data-fixed", JSON.stringify(model.get("fixed") || {}));
  // keys pressed in the widget (arrows on a slider) are its own: not JupyterLab shortcuts, and
  // no notebook handler may cancel them (it would, on the way up, and the slider would not move)
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  for (const ev of ["keydown", "keypress", "keyup"]) root.addEventListener(ev, (e) => e.stopPropagation());
  const controlsBox = rlEl("div", { class: "rl-controls" }, root);
  const fixed = model.get("fixed") || {};
  const values = {};
  const inputs = {};
  const shown = {};
  const specs = {};

  const toInput = (c, v) => {
    if (c.kind === "log") return String(Math.log10(v));
    if (c.kind === "select") return String(Math.max(0, c.options.indexOf(v)));
    return String(v);
  };
  const fromInput = (c, input) => {
    if (c.kind === "checkbox") return input.checked;
    if (c.kind === "dropdown") return input.value;
    if (c.kind === "select") return c.options[Number(input.value)];
    if (c.kind === "log") return Math.round(Math.pow(10, Number(input.value)) * 1e6) / 1e6;
    const v = Number(input.value);
    return c.integer ? Math.round(v) : v;
  };
  const showValue = (c, v) => (c.format ? c.format(v) : String(v));

  for (const c of W.controls) {
    specs[c.name] = c;
    values[c.name] = model.get(c.name);
    const row = rlEl("div", { class: "rl-control", "data-control": c.name, "data-kind": c.kind }, controlsBox);
    const id = `rl-${c.name}-${Math.random().toString(36).slice(2, 8)}`;
    let input;
    if (c.kind === "checkbox") {
      input = rlEl("input", { type: "checkbox", id }, row);
      input.checked = Boolean(values[c.name]);
      rlEl("label", { for: id, class: "rl-check" }, row, L(c.label));
      row.insertBefore(rlEl("span", { class: "rl-spacer" }), input);
    } else {
      rlEl("label", { for: id, class: "rl-name" }, row, L(c.label));
      if (c.kind === "dropdown") {
        input = rlEl("select", { id }, row);
        for (const o of c.options) rlEl("option", { value: o }, input, o);
        input.value = values[c.name];
      } else {
        const [min, max, step] = c.kind === "select" ? [0, c.options.length - 1, 1] : [c.min, c.max, c.step];
        input = rlEl("input", { type: "range", id, min, max, step, "aria-label": L(c.label) }, row);
        input.value = toInput(c, values[c.name]);
      }
      if (c.kind !== "dropdown") shown[c.name] = rlEl("span", { class: "rl-shown" }, row, showValue(c, values[c.name]));
    }
    inputs[c.name] = input;
  }

  const fig = rlSvg("svg", { viewBox: `0 0 ${W.width} ${W.height}`, class: "rl-figure", role: "img" }, root);
  const readout = rlEl("div", { class: "rl-readout" }, root);
  const errorBox = rlEl("div", { class: "rl-error" }, root);
  let state = W.compute(values, fixed);
  const ctx = W.setup(fig, L, state);
  let redraws = 0;

  function redraw() {
    state = W.compute(values, fixed);
    W.update(ctx, state, L);
    readout.innerHTML = W.readout(state, L);
    redraws += 1;
    root.setAttribute("data-values", JSON.stringify(values));
    root.setAttribute("data-redraws", String(redraws));
  }

  function put(name, v) {
    values[name] = v;
    const c = specs[name];
    if (c.kind === "checkbox") inputs[name].checked = Boolean(v);
    else inputs[name].value = toInput(c, v);
    if (shown[name]) shown[name].textContent = showValue(c, v);
  }

  function onInput(name) {
    const old = { ...values };
    put(name, fromInput(specs[name], inputs[name]));
    if (W.couple) {
      const moved = W.couple(name, values, old, specs) || {};
      for (const [k, v] of Object.entries(moved)) put(k, v);
    }
    errorBox.textContent = "";
    for (const k of Object.keys(values)) if (values[k] !== old[k]) model.set(k, values[k]);
    model.save_changes();
    redraw();
  }

  const handlers = [];
  for (const c of W.controls) {
    const ev = c.kind === "checkbox" || c.kind === "dropdown" ? "change" : "input";
    inputs[c.name].addEventListener(ev, () => onInput(c.name));
    const fromModel = () => {
      const v = model.get(c.name);
      if (v !== values[c.name]) {
        put(c.name, v);
        redraw();
      }
    };
    model.on(`change:${c.name}`, fromModel);
    handlers.push([`change:${c.name}`, fromModel]);
  }
  const onError = () => {
    errorBox.textContent = model.get("error") || "";
  };
  model.on("change:error", onError);
  handlers.push(["change:error", onError]);
  onError();
  redraw();
  root.setAttribute("data-ready", "1");
  return () => {
    for (const [ev, f] of handlers) model.off(ev, f);
  };
}
