// The two-token RoPE widget of notebook 04: q at position m, k at position n, one frequency θ.
// Left: f(q, m) = R(mθ) q and f(k, n) = R(nθ) k. Right: the score against m − n; it depends on m − n only.
// The numbers mirror ropelab.lesson04_rope_2d.widget.rope2d_state (Python checks them).

const WIDGET = {
  name: "rope2d_widget",
  width: 1200,
  height: 640,
  controls: [
    { name: "m", kind: "range", min: 0, max: 20, step: 1, integer: true,
      label: { en: "query position m", zh: "查询位置 m" }, format: (v) => rlInt(v) },
    { name: "n", kind: "range", min: 0, max: 20, step: 1, integer: true,
      label: { en: "key position n", zh: "键位置 n" }, format: (v) => rlInt(v) },
    { name: "theta_deg", kind: "range", min: 0, max: 180, step: 1, label: { en: "θ (degrees)", zh: "θ（度）" },
      format: (v) => `${rlNum(v, 0)}°` },
    { name: "together", kind: "checkbox", label: { en: "move m and n together", zh: "m 和 n 一起移动" } },
  ],

  SHIFTS: [1, 5, 50],   // extra shifts of both positions shown in the readout
  R_MAX: 20,            // the relative-position axis runs over [-R_MAX, R_MAX], 401 points
  LABEL_ROOM: 0.2,      // half the space (data units) the angle label needs clear of the arrows

  // "nice" tick positions (steps 1, 2, 2.5, 5 times a power of ten) covering [lo, hi]: [[value, label], ...]
  ticks(lo, hi, most) {
    const raw = (hi - lo) / most;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((f) => f * p).find((s) => s >= raw * (1 - 1e-9));
    const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9)) + (Math.abs(step / p - 2.5) < 1e-9 ? 1 : 0);
    const shown = Math.max(digits, step < 1 ? 1 : 0);
    const ticks = [];
    for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + 1e-9 * step; i++) {
      ticks.push([i * step, rlNum(i * step, shown)]);
    }
    return ticks;
  },

  compute(v, fixed) {
    const [qx, qy] = fixed.q;
    const [kx, ky] = fixed.k;
    const theta = v.theta_deg * (Math.PI / 180);
    const rot = (x, y, a) => {
      const c = Math.cos(a);
      const s = Math.sin(a);
      return [x * c - y * s, x * s + y * c];
    };
    const dotOf = (a, b) => a[0] * b[0] + a[1] * b[1];
    const qr = rot(qx, qy, v.m * theta);   // f(q, m) = R(m theta) q
    const kr = rot(kx, ky, v.n * theta);   // f(k, n) = R(n theta) k
    const score = dotOf(qr, kr);
    // the relative form g(q, k, r) = Re[q conj(k) e^{i r theta}], without rotating anything
    const dot = qx * kx + qy * ky;
    const cross = qx * ky - qy * kx;       // q conj(k) = dot - i cross
    const g = (r) => dot * Math.cos(r * theta) + cross * Math.sin(r * theta);
    const shifted = this.SHIFTS.map((s) => ({
      s, m: v.m + s, n: v.n + s, score: dotOf(rot(qx, qy, (v.m + s) * theta), rot(kx, ky, (v.n + s) * theta)),
    }));
    const curve = new Float64Array(2 * this.R_MAX * 10 + 1);
    const step = (2 * this.R_MAX) / (curve.length - 1);
    for (let i = 0; i < curve.length; i++) curve[i] = g(i * step - this.R_MAX);
    const nq = Math.hypot(qr[0], qr[1]);
    const nk = Math.hypot(kr[0], kr[1]);
    const between = nq > 0 && nk > 0
      ? (Math.atan2(qr[1] * kr[0] - qr[0] * kr[1], qr[0] * kr[0] + qr[1] * kr[1]) * 180) / Math.PI : 0;
    return {
      m: v.m, n: v.n, distance: v.m - v.n, theta_deg: v.theta_deg, theta,
      q: [qx, qy], k: [kx, ky], qr, kr, score, g: g(v.m - v.n), shifted,
      max_shift_diff: Math.max(...shifted.map((t) => Math.abs(t.score - score))),
      angle_between_deg: between, norm_q: Math.hypot(qx, qy), norm_k: Math.hypot(kx, ky), curve, step,
    };
  },

  setup(svg, L, s) {
    const GREY = "#7f7f7f";
    const Q = "#0072B2";
    const K = "#D55E00";
    const GREEN = "#009E73";
    // left: the plane, fixed limits from |q| and |k| (which no slider changes)
    const lim = 1.45 * Math.max(s.norm_q, s.norm_k, 0.5);
    const ticks = this.ticks(-lim, lim, 7);
    const left = rlAxes(svg, { x: 95, y: 48, w: 420, h: 420 }, {
      x: [-lim, lim], y: [-lim, lim], xticks: ticks, yticks: ticks, grid: true,
      xlabel: L({ en: "coordinate 1", zh: "坐标 1" }), ylabel: L({ en: "coordinate 2", zh: "坐标 2" }),
    });
    const { sx, sy, g } = left;
    rlSvg("line", { x1: sx(-lim), x2: sx(lim), y1: sy(0), y2: sy(0), stroke: GREY, "stroke-width": 0.8 }, g);
    rlSvg("line", { x1: sx(0), x2: sx(0), y1: sy(-lim), y2: sy(lim), stroke: GREY, "stroke-width": 0.8 }, g);
    for (const r of [s.norm_q, s.norm_k]) {
      rlSvg("circle", { cx: sx(0), cy: sy(0), r: r * (sx(1) - sx(0)), fill: "none", stroke: GREY,
        "stroke-width": 1, "stroke-dasharray": "1.5 2.5" }, g);
    }
    // the vectors before rotation (position 0), faint
    const faint = (v, color, role) => rlArrow(g, { stroke: color, fill: color, "stroke-width": 1.5, opacity: 0.35,
      "data-role": role }).set(sx(0), sy(0), sx(v[0]), sy(v[1]));
    faint(s.q, Q, "q");
    faint(s.k, K, "k");
    const ctx = { left, lastTheta: null };
    ctx.qArrow = rlArrow(g, { stroke: Q, fill: Q, "stroke-width": 3.5, "data-role": "q_rot" });
    ctx.kArrow = rlArrow(g, { stroke: K, fill: K, "stroke-width": 3.5, "data-role": "k_rot" });
    ctx.arc = rlSvg("path", { fill: "none", stroke: "#000", "stroke-width": 1.5, "data-role": "arc" }, g);
    ctx.labelBox = rlSvg("rect", { fill: "#fff", "fill-opacity": 0.8, height: 18, rx: 2 }, g);
    ctx.label = rlSvg("text", { "text-anchor": "middle", "dominant-baseline": "central", "font-size": 14,
      "data-role": "angle" }, g);

    // right: the score against m - n
    const bound = 1.15 * s.norm_q * s.norm_k || 1;   // (q or k = 0: the score is 0 everywhere)
    const R = this.R_MAX;
    const right = rlAxes(svg, { x: 660, y: 48, w: 520, h: 420 }, {
      x: [-R, R], y: [-bound, bound], grid: true,
      xticks: [-20, -15, -10, -5, 0, 5, 10, 15, 20].filter((t) => Math.abs(t) <= R).map((t) => [t, rlNum(t, 0)]),
      yticks: this.ticks(-bound, bound, 7),
      xlabel: L({ en: "relative position m − n", zh: "相对位置 m − n" }),
      ylabel: L({ en: "score ⟨f(q,m), f(k,n)⟩", zh: "分数 ⟨f(q,m), f(k,n)⟩" }), ylabelGap: 62,
    });
    ctx.right = right;
    rlSvg("line", { x1: right.sx(-R), x2: right.sx(R), y1: right.sy(0), y2: right.sy(0), stroke: GREY,
      "stroke-width": 0.8 }, right.g);
    ctx.curve = rlSvg("path", { fill: "none", stroke: GREEN, "stroke-width": 2.5, "stroke-linejoin": "round",
      "data-role": "curve" }, right.g);
    ctx.vline = rlSvg("line", { y1: right.sy(-bound), y2: right.sy(bound), stroke: GREY, "stroke-width": 1,
      "stroke-dasharray": "5 3", "data-role": "vline" }, right.g);
    // unclipped: at m − n = ±20 the whole dot still shows (it never leaves the panel)
    ctx.dot = rlSvg("circle", { r: 7.5, fill: "#000", "data-role": "dot" }, rlSvg("g", {}, svg));
    ctx.rs = Array.from(s.curve, (_, i) => i * s.step - R);

    // legends under the panels, drawn once
    const line = (x, y, color, width, opacity, text) => {
      rlSvg("line", { x1: x, x2: x + 36, y1: y, y2: y, stroke: color, "stroke-width": width, opacity }, svg);
      rlSvg("text", { x: x + 46, y: y + 5, "font-size": 14 }, svg, text);
    };
    line(110, 560, Q, 4, 1, "f(q, m) = R(mθ) q");
    line(110, 590, K, 4, 1, "f(k, n) = R(nθ) k");
    line(330, 560, Q, 1.5, 0.35, L({ en: "q before rotation", zh: "旋转前的 q" }));
    line(330, 590, K, 1.5, 0.35, L({ en: "k before rotation", zh: "旋转前的 k" }));
    line(790, 560, GREEN, 2.5, 1, "g(q, k, m−n) = Re[q k\u0304 e^{i(m−n)θ}]");
    rlSvg("circle", { cx: 808, cy: 590, r: 7, fill: "#000" }, svg);
    rlSvg("text", { x: 836, y: 595, "font-size": 14 }, svg,
      L({ en: "score at the current (m, n)", zh: "当前 (m, n) 处的分数" }));
    return ctx;
  },

  update(ctx, s, L) {
    const { sx, sy } = ctx.left;
    ctx.qArrow.set(sx(0), sy(0), sx(s.qr[0]), sy(s.qr[1]));
    ctx.kArrow.set(sx(0), sy(0), sx(s.kr[0]), sy(s.kr[1]));
    // the arc from f(k, n) to f(q, m), the short way, and the angle on it
    const nq = Math.hypot(s.qr[0], s.qr[1]);
    const nk = Math.hypot(s.kr[0], s.kr[1]);
    const radius = 0.3 * Math.min(s.norm_q, s.norm_k, 1.5) + 0.05;
    const start = nk > 0 ? Math.atan2(s.kr[1], s.kr[0]) : 0;
    const delta = (s.angle_between_deg * Math.PI) / 180;
    const xs = [];
    const ys = [];
    for (let i = 0; i < 50; i++) {
      const t = start + (delta * i) / 49;
      xs.push(radius * Math.cos(t));
      ys.push(radius * Math.sin(t));
    }
    ctx.arc.setAttribute("d", rlPath(xs, ys, sx, sy));
    // on the bisector where the wedge is wide enough for the text; beyond the tips when it never is
    const mid = start + delta / 2;
    let r = radius + 0.2;
    const room = this.LABEL_ROOM / Math.max(Math.sin(Math.abs(delta) / 2), 1e-9);
    if (room > r) r = room < Math.min(nq, nk) - this.LABEL_ROOM ? room : Math.max(nq, nk) + 0.28;
    const X = sx(r * Math.cos(mid));
    const Y = sy(r * Math.sin(mid));
    const text = `${rlNum(s.angle_between_deg, 0)}°`;
    ctx.label.setAttribute("x", X);
    ctx.label.setAttribute("y", Y);
    ctx.label.textContent = text;
    const w = 8.5 * text.length + 4;
    ctx.labelBox.setAttribute("x", X - w / 2);
    ctx.labelBox.setAttribute("y", Y - 9);
    ctx.labelBox.setAttribute("width", w);
    // the right panel: the curve only changes with theta
    const right = ctx.right;
    if (s.theta !== ctx.lastTheta) {
      ctx.curve.setAttribute("d", rlPath(ctx.rs, s.curve, right.sx, right.sy));
      ctx.lastTheta = s.theta;
    }
    const D = right.sx(s.distance);
    ctx.vline.setAttribute("x1", D);
    ctx.vline.setAttribute("x2", D);
    ctx.dot.setAttribute("cx", D);
    ctx.dot.setAttribute("cy", right.sy(s.score));
    ctx.left.title.textContent = `m = ${rlInt(s.m)}, n = ${rlInt(s.n)}${L({ en: ":  score", zh: "：分数" })} = ` +
      rlNum(s.score, 3);
    ctx.right.title.textContent = `m − n = ${rlInt(s.distance)}` +
      L({ en: ": the score depends only on m − n", zh: "：分数只取决于 m − n" });
  },

  readout(s, L) {
    const shifted = s.shifted.map((t) => `(${rlVal(`shifted_${t.s}_m`, t.m, rlInt(t.m))}, ` +
      `${rlVal(`shifted_${t.s}_n`, t.n, rlInt(t.n))}): ${rlVal(`shifted_${t.s}`, t.score, rlNum(t.score, 4))}`)
      .join(" &nbsp; ");
    const badge = s.max_shift_diff < 1e-9
      ? `<span style="color:#009E73; font-weight:bold">${L({ en: "unchanged ✓", zh: "不变 ✓" })}</span>`
      : `<span style="color:#D55E00; font-weight:bold">${L({ en: "changed", zh: "变了" })}</span>`;
    return [
      `θ = ${rlVal("theta_deg", s.theta_deg, rlNum(s.theta_deg, 1))}° &nbsp; m = ${rlVal("m", s.m, rlInt(s.m))} ` +
        `&nbsp; n = ${rlVal("n", s.n, rlInt(s.n))} &nbsp; m − n = ${rlVal("distance", s.distance, rlInt(s.distance))}`,
      `${L({ en: "score", zh: "分数" })} ⟨R(mθ)q, R(nθ)k⟩ = <b>${rlVal("score", s.score, rlNum(s.score, 4))}</b> ` +
        `&nbsp; g(q, k, m−n) = ${rlVal("g", s.g, rlNum(s.g, 4))}`,
      `${L({ en: "angle from f(k, n) to f(q, m)", zh: "从 f(k, n) 到 f(q, m) 的夹角" })} = ` +
        `${rlVal("angle_between_deg", s.angle_between_deg, rlNum(s.angle_between_deg, 1))}°`,
      `${L({ en: "same pair moved together, (m+s, n+s): ", zh: "同一对一起平移到 (m+s, n+s)：" })}${shifted} &nbsp; ` +
        rlVal("max_shift_diff", s.max_shift_diff, badge),
    ].join("<br>");
  },

  // "move m and n together": the other position moves by the same amount, as far as its range allows;
  // both stop together, so m - n is kept
  couple(name, values, old, specs) {
    if (!values.together || (name !== "m" && name !== "n")) return {};
    const other = name === "m" ? "n" : "m";
    const delta = Math.min(Math.max(values[name] - old[name], specs[other].min - old[other]),
      specs[other].max - old[other]);
    return { [name]: old[name] + delta, [other]: old[other] + delta };
  },
};
