// The frequency explorer of notebook 05: the base and the head dimension d set the frequencies
// theta_j = base^(-2j/d) and the RoFormer relative upper bound (the long-term decay).
// The numbers mirror ropelab.lesson05_rope_nd.widget.frequency_state (Python checks them); the
// grid of distances comes from Python (the `fixed` trait), so both evaluate the same points.

const WIDGET = {
  name: "frequency_widget",
  width: 1100,
  height: 470,
  controls: [
    { name: "base", kind: "log", min: 2, max: 6, step: 0.05, label: { en: "base", zh: "底数 base" },
      format: (v) => rlInt(v) },
    { name: "dim", kind: "range", min: 8, max: 256, step: 2, integer: true,
      label: { en: "head dim d", zh: "头维度 d" }, format: (v) => String(v) },
  ],

  compute(v, fixed) {
    const base = v.base;
    const dim = v.dim;
    const pairs = dim / 2;
    // theta as ropelab.inv_freq computes it, in float32: 1 / base ** (2j / d)
    const b32 = Math.fround(base);
    const theta = new Float64Array(pairs);
    const pairFrac = new Float64Array(pairs);
    const wavelength = new Float64Array(pairs);
    const th64 = new Float64Array(pairs); // float64, as decay_bound uses them
    for (let j = 0; j < pairs; j++) {
      const e = Math.fround((2 * j) / dim);
      theta[j] = Math.fround(1 / Math.fround(Math.pow(b32, e)));
      pairFrac[j] = (2 * j) / dim;
      wavelength[j] = (2 * Math.PI) / theta[j];
      th64[j] = 1 / Math.pow(base, (2 * j) / dim);
    }
    // the bound: mean_j |S_j(r)|, S_j = sum_{l<j} e^{i r theta_l}, divided by its value at 0
    const dist = fixed.distances;
    const bound = new Float64Array(dist.length);
    const norm = (pairs + 1) / 2;
    for (let k = 0; k < dist.length; k++) {
      const r = dist[k];
      let re = 0;
      let im = 0;
      let total = 0;
      for (let j = 0; j < pairs; j++) {
        const a = r * th64[j];
        re += Math.cos(a);
        im += Math.sin(a);
        total += Math.sqrt(re * re + im * im);
      }
      bound[k] = total / pairs / norm;
    }
    let half = null;
    let farSum = 0;
    let farN = 0;
    for (let k = 0; k < dist.length; k++) {
      if (half === null && bound[k] < 0.5) half = dist[k];
      if (dist[k] >= fixed.far[0] && dist[k] <= fixed.far[1]) {
        farSum += bound[k];
        farN += 1;
      }
    }
    return {
      base, dim, pairs, theta, pairFrac, wavelength, distances: dist, bound,
      half_distance: half, far_mean: farSum / farN, fixed,
    };
  },

  setup(svg, L, s) {
    const fixed = s.fixed;
    const ref = WIDGET.compute({ base: 10000, dim: 128 }, fixed);
    const sup = (p) => (p === 0 ? "10^{0}" : `10^{${p < 0 ? "−" : ""}${Math.abs(p)}}`);
    // left: the frequencies on a log scale
    const ax = rlAxes(svg, { x: 95, y: 45, w: 400, h: 340 }, {
      x: [-0.02, 1.0], y: [3e-7, 2.0], yscale: "log", grid: true,
      xticks: [0, 0.2, 0.4, 0.6, 0.8, 1.0].map((t) => [t, rlNum(t, 1)]),
      yticks: [-6, -5, -4, -3, -2, -1, 0].map((p) => [Math.pow(10, p), sup(p)]),
      xlabel: L({ en: "pair position 2j/d", zh: "频率对位置 2j/d" }),
      ylabel: L({ en: "frequency θ_{j} (rad / position)", zh: "频率 θ_{j}（弧度 / 位置）" }),
      title: "",
    });
    rlSvg("path", { d: rlPath(ref.pairFrac, ref.theta, ax.sx, ax.sy), fill: "none", stroke: "#7f7f7f",
      "stroke-width": 1.2, "stroke-opacity": 0.7, "data-role": "theta-ref" }, ax.g);
    const ctx = { ax };
    ctx.theta = rlSvg("path", { fill: "none", stroke: "#0072B2", "stroke-width": 1.5, "data-role": "theta" }, ax.g);
    ctx.dots = rlSvg("path", { fill: "none", stroke: "#0072B2", "stroke-width": 5.5, "stroke-linecap": "round",
      "data-role": "theta-dots" }, ax.g);
    // legend, lower left
    const lx = ax.box.x + 10;
    const ly = ax.box.y + ax.box.h - 62;
    rlSvg("rect", { x: lx, y: ly, width: 205, height: 52, rx: 4, fill: "#fff", "fill-opacity": 0.9,
      stroke: "#ccc" }, svg);
    rlSvg("line", { x1: lx + 10, x2: lx + 40, y1: ly + 16, y2: ly + 16, stroke: "#7f7f7f", "stroke-width": 1.2,
      "stroke-opacity": 0.7 }, svg);
    rlSvg("text", { x: lx + 48, y: ly + 21, "font-size": 13 }, svg, L({ en: "base 10,000, d = 128",
      zh: "base 10,000，d = 128" }));
    rlSvg("line", { x1: lx + 10, x2: lx + 40, y1: ly + 38, y2: ly + 38, stroke: "#0072B2", "stroke-width": 1.5 }, svg);
    rlSvg("circle", { cx: lx + 25, cy: ly + 38, r: 2.75, fill: "#0072B2" }, svg);
    rlSvg("text", { x: lx + 48, y: ly + 43, "font-size": 13 }, svg, L({ en: "current", zh: "当前" }));
    ctx.title = ax.title;

    // right: the normalised bound against distance, symlog
    const dmax = fixed.distance_max;
    const ax2 = rlAxes(svg, { x: 640, y: 45, w: 430, h: 340 }, {
      x: [0, dmax], xscale: ["symlog", 10, 0.6], y: [0, 1.05], grid: true,
      xticks: [[0, "0"], [10, "10^{1}"], [100, "10^{2}"], [1000, "10^{3}"]],
      yticks: [0, 0.2, 0.4, 0.6, 0.8, 1.0].map((t) => [t, rlNum(t, 1)]),
      xlabel: L({ en: "relative distance |m − n| (symlog)", zh: "相对距离 |m − n|（symlog 刻度）" }),
      ylabel: L({ en: "bound / bound at 0", zh: "上界 / 距离 0 处的上界" }),
      ylabelGap: 52,
      title: L({ en: "Relative upper bound, 1 at distance 0", zh: "相对上界（距离 0 处为 1）" }),
    });
    const sx2 = ax2.sx;
    ctx.sx2 = sx2;
    ctx.sy2 = ax2.sy;
    rlSvg("path", { d: rlPath(ref.distances, ref.bound, sx2, ax2.sy), fill: "none", stroke: "#7f7f7f",
      "stroke-width": 1.2, "stroke-opacity": 0.7, "data-role": "bound-ref" }, ax2.g);
    ctx.bound = rlSvg("path", { fill: "none", stroke: "#D55E00", "stroke-width": 2, "stroke-linejoin": "round",
      "data-role": "bound" }, ax2.g);
    rlSvg("line", { x1: ax2.box.x, x2: ax2.box.x + ax2.box.w, y1: ax2.sy(0.5), y2: ax2.sy(0.5), stroke: "#7f7f7f",
      "stroke-width": 1, "stroke-dasharray": "4 3" }, ax2.g);
    ctx.half = rlSvg("circle", { r: 6, fill: "#000", cy: ax2.sy(0.5), "data-role": "half" }, ax2.g);
    return ctx;
  },

  update(ctx, s, L) {
    const { sx, sy } = ctx.ax;
    ctx.theta.setAttribute("d", rlPath(s.pairFrac, s.theta, sx, sy));
    let dots = "";
    for (let j = 0; j < s.pairs; j++) dots += `M${sx(s.pairFrac[j]).toFixed(2)},${sy(s.theta[j]).toFixed(2)}h0`;
    ctx.dots.setAttribute("d", dots);
    ctx.bound.setAttribute("d", rlPath(s.distances, s.bound, ctx.sx2, ctx.sy2));
    if (s.half_distance === null) {
      ctx.half.setAttribute("visibility", "hidden");
    } else {
      ctx.half.setAttribute("visibility", "visible");
      ctx.half.setAttribute("cx", ctx.sx2(s.half_distance));
    }
    rlText(ctx.title, L({
      en: `base = ${rlInt(s.base)}, d = ${s.dim}: ${s.pairs} frequencies`,
      zh: `base = ${rlInt(s.base)}，d = ${s.dim}：${s.pairs} 个频率`,
    }));
  },

  readout(s, L) {
    const far = s.fixed.far;
    const last = s.pairs - 1;
    const half = s.half_distance === null
      ? L({ en: "beyond ", zh: "超过 " }) + rlVal("distance_max", s.fixed.distance_max, rlInt(s.fixed.distance_max))
      : rlVal("half_distance", s.half_distance, rlInt(s.half_distance));
    const farLo = rlVal("far_lo", far[0], rlInt(far[0]));
    const farHi = rlVal("far_hi", far[1], rlInt(far[1]));
    const farMean = rlVal("far_mean", s.far_mean, rlNum(s.far_mean, 3));
    return [
      `base = ${rlVal("base", s.base, rlInt(s.base))} &nbsp; d = ${rlVal("dim", s.dim, s.dim)} &nbsp; ` +
        `${L({ en: "pairs", zh: "频率对数" })} d/2 = ${rlVal("pairs", s.pairs, s.pairs)}`,
      L({
        en: `fastest θ<sub>0</sub> = ${rlVal("fast_theta", s.theta[0], rlSig(s.theta[0], 4))} (wavelength ` +
          `${rlVal("fast_wavelength", s.wavelength[0], rlNum(s.wavelength[0], 2))} positions) &nbsp; ` +
          `slowest θ<sub>${rlVal("slow_index", last, last)}</sub> = ` +
          `${rlVal("slow_theta", s.theta[last], rlSig(s.theta[last], 4))} (wavelength ` +
          `${rlVal("slow_wavelength", s.wavelength[last], rlInt(s.wavelength[last]))} positions)`,
        zh: `最快 θ<sub>0</sub> = ${rlVal("fast_theta", s.theta[0], rlSig(s.theta[0], 4))}（波长 ` +
          `${rlVal("fast_wavelength", s.wavelength[0], rlNum(s.wavelength[0], 2))} 个位置）&nbsp; ` +
          `最慢 θ<sub>${rlVal("slow_index", last, last)}</sub> = ` +
          `${rlVal("slow_theta", s.theta[last], rlSig(s.theta[last], 4))}（波长 ` +
          `${rlVal("slow_wavelength", s.wavelength[last], rlInt(s.wavelength[last]))} 个位置）`,
      }),
      L({
        en: `bound falls below half of its distance-0 value at distance ${half}; ` +
          `its average over distances ${farLo} to ${farHi} is ${farMean}`,
        zh: `上界在距离 ${half} 处降到距离 0 处的一半以下；在距离 ${farLo} 到 ${farHi} 上的平均值为 ${farMean}`,
      }),
    ].join("<br>");
  },
};
