// The rotation widget of notebook 03: z = x + iy times e^{i theta} turns z by theta; the length stays.
// The numbers mirror ropelab.lesson03_euler_formula.widget.rotation_state (Python checks them).
const WIDGET = {
  name: "rotation_widget",
  width: 1000,
  height: 640,
  controls: [
    { name: "theta_deg", kind: "range", min: -360, max: 360, step: 1, label: { en: "θ (degrees)", zh: "θ（度）" },
      format: (v) => `${rlNum(v, 0)}°` },
    { name: "x", kind: "range", min: -1.5, max: 1.5, step: 0.05, label: { en: "Re z = x", zh: "实部 Re z = x" },
      format: (v) => rlNum(v, 2) },
    { name: "y", kind: "range", min: -1.5, max: 1.5, step: 0.05, label: { en: "Im z = y", zh: "虚部 Im z = y" },
      format: (v) => rlNum(v, 2) },
  ],

  compute(v) {
    const theta = (v.theta_deg * Math.PI) / 180;
    const ux = Math.cos(theta);
    const uy = Math.sin(theta); // Euler: e^{i theta} = cos theta + i sin theta
    const rx = v.x * ux - v.y * uy;
    const ry = v.x * uy + v.y * ux;
    const deg = (a) => (a * 180) / Math.PI;
    return {
      theta_deg: v.theta_deg, theta, x: v.x, y: v.y, ux, uy, rx, ry,
      norm_z: Math.hypot(v.x, v.y), norm_rotated: Math.hypot(rx, ry),
      arg_z_deg: deg(Math.atan2(v.y, v.x)), arg_rotated_deg: deg(Math.atan2(ry, rx)),
    };
  },

  setup(svg, L, s) {
    const LIM = 2.3;
    const ax = rlAxes(svg, { x: 80, y: 40, w: 540, h: 540 }, {
      x: [-LIM, LIM], y: [-LIM, LIM],
      xticks: [-2, -1, 0, 1, 2].map((t) => [t, rlNum(t, 0)]),
      yticks: [-2, -1, 0, 1, 2].map((t) => [t, rlNum(t, 0)]),
      xlabel: L({ en: "real part", zh: "实部" }), ylabel: L({ en: "imaginary part", zh: "虚部" }),
      title: L({ en: "Multiplying by e^{iθ} turns z by θ; the length stays", zh: "乘以 e^{iθ}：z 转过 θ，长度不变" }),
    });
    const { sx, sy, g } = ax;
    const r1 = sx(1) - sx(0);
    rlSvg("line", { x1: sx(-LIM), x2: sx(LIM), y1: sy(0), y2: sy(0), stroke: "#7f7f7f" }, g);
    rlSvg("line", { x1: sx(0), x2: sx(0), y1: sy(-LIM), y2: sy(LIM), stroke: "#7f7f7f" }, g);
    rlSvg("circle", { cx: sx(0), cy: sy(0), r: r1, fill: "none", stroke: "#000", "stroke-opacity": 0.55,
      "stroke-width": 1.2, "stroke-dasharray": "6 4" }, g);
    const ctx = { ax, r1 };
    ctx.path = rlSvg("circle", { cx: sx(0), cy: sy(0), fill: "none", stroke: "#D55E00", "stroke-width": 1.5,
      "stroke-dasharray": "2 3", "data-role": "path" }, g);
    ctx.arc = rlSvg("path", { fill: "none", stroke: "#000", "stroke-width": 2, "data-role": "arc" }, g);
    ctx.z = rlArrow(g, { stroke: "#0072B2", fill: "#0072B2", "stroke-width": 3.5, "data-role": "z" });
    ctx.rot = rlArrow(g, { stroke: "#D55E00", fill: "#D55E00", "stroke-width": 3.5, "data-role": "rotated" });
    ctx.unit = rlSvg("circle", { r: 6, fill: "#000", "data-role": "unit" }, g);
    const label = (text, color, size) => rlSvg("text", { "text-anchor": "middle", "dominant-baseline": "middle",
      "font-size": size, "font-weight": "bold", fill: color }, g, text);
    ctx.thetaLabel = label("θ", "#000", 20);
    ctx.zLabel = label("z", "#0072B2", 20);
    ctx.rotLabel = label("z·e^{iθ}", "#D55E00", 18);
    ctx.unitLabel = label("e^{iθ}", "#000", 16);
    // legend and the formulas, drawn once
    const legend = [
      ["#0072B2", "solid", L({ en: "z = x + iy (original)", zh: "z = x + iy（原向量）" })],
      ["#D55E00", "solid", L({ en: "z·e^{iθ} (rotated)", zh: "z·e^{iθ}（旋转后）" })],
      ["#000", "6 4", L({ en: "unit circle |w| = 1: where e^{iθ} lives", zh: "单位圆 |w| = 1：e^{iθ} 所在" })],
      ["#D55E00", "2 3", L({ en: "circle of radius |z|: the tip stays on it", zh: "半径 |z| 的圆：箭头尖端始终在其上" })],
    ];
    legend.forEach(([color, dash, text], i) => {
      const y = 70 + i * 30;
      rlSvg("line", { x1: 650, x2: 690, y1: y, y2: y, stroke: color, "stroke-width": dash === "solid" ? 4 : 1.5,
        "stroke-dasharray": dash === "solid" ? "" : dash }, svg);
      rlSvg("text", { x: 700, y: y + 5, "font-size": 14 }, svg, text);
    });
    const formulas = [
      "e^{iθ} = cos θ + i sin θ",
      "(x + iy)·e^{iθ}",
      "\u2003= (x cos θ − y sin θ)",
      "\u2003+ i (x sin θ + y cos θ)",
      "|z·e^{iθ}| = |z|·|e^{iθ}| = |z|",
      "arg(z·e^{iθ}) = arg z + θ",
    ];
    rlSvg("rect", { x: 650, y: 330, width: 330, height: 250, rx: 10, fill: "#f4f4f4", stroke: "#7f7f7f" }, svg);
    formulas.forEach((t, i) => rlSvg("text", { x: 668, y: 370 + i * 38, "font-size": 16, "xml:space": "preserve" },
      svg, t));
    return ctx;
  },

  update(ctx, s) {
    const { sx, sy } = ctx.ax;
    ctx.z.set(sx(0), sy(0), sx(s.x), sy(s.y));
    ctx.rot.set(sx(0), sy(0), sx(s.rx), sy(s.ry));
    ctx.unit.setAttribute("cx", sx(s.ux));
    ctx.unit.setAttribute("cy", sy(s.uy));
    ctx.path.setAttribute("r", Math.max(s.norm_z * ctx.r1, 0));
    // the arc from arg z to arg z + theta, the angle the vector turns through
    const start = s.norm_z > 0 ? Math.atan2(s.y, s.x) : 0;
    const r = 0.38 * Math.min(Math.max(s.norm_z, 0.8), 2.0);
    const xs = [];
    const ys = [];
    for (let i = 0; i <= 90; i++) {
      const t = start + (s.theta * i) / 90;
      xs.push(r * Math.cos(t));
      ys.push(r * Math.sin(t));
    }
    ctx.arc.setAttribute("d", rlPath(xs, ys, sx, sy));
    const mid = start + s.theta / 2;
    const place = (el, x, y) => {
      el.setAttribute("x", sx(x));
      el.setAttribute("y", sy(y));
    };
    place(ctx.thetaLabel, (r + 0.22) * Math.cos(mid), (r + 0.22) * Math.sin(mid));
    const beyond = (x, y, pad) => {
      const n = Math.hypot(x, y);
      return n === 0 ? [pad, pad] : [(x * (n + pad)) / n, (y * (n + pad)) / n];
    };
    place(ctx.zLabel, ...beyond(s.x, s.y, 0.2));
    place(ctx.rotLabel, ...beyond(s.rx, s.ry, 0.4));
    place(ctx.unitLabel, ...beyond(s.ux, s.uy, 0.3));
  },

  readout(s, L) {
    const c = (key, re, im) => {
      const sign = im >= 0 ? "+" : "−";
      return `${rlVal(`${key}_re`, re, rlNum(re, 3))} ${sign} ${rlVal(`${key}_im`, im, rlNum(Math.abs(im), 3))}i`;
    };
    return [
      `θ = ${rlVal("theta_deg", s.theta_deg, rlNum(s.theta_deg, 1))}° = ${rlVal("theta", s.theta, rlNum(s.theta, 4))} rad`,
      `z = ${c("z", s.x, s.y)} &nbsp; |z| = ${rlVal("norm_z", s.norm_z, rlNum(s.norm_z, 4))}`,
      `e<sup>iθ</sup> = cos θ + i sin θ = ${c("unit", s.ux, s.uy)}`,
      `z·e<sup>iθ</sup> = ${c("rotated", s.rx, s.ry)} &nbsp; |z·e<sup>iθ</sup>| = ` +
        `${rlVal("norm_rotated", s.norm_rotated, rlNum(s.norm_rotated, 4))}`,
      `${L({ en: "as a matrix", zh: "写成矩阵" })}: [[${rlNum(s.ux, 3)}, ${rlNum(-s.uy, 3)}], ` +
        `[${rlNum(s.uy, 3)}, ${rlNum(s.ux, 3)}]] · (${rlNum(s.x, 3)}, ${rlNum(s.y, 3)}) = ` +
        `(${rlNum(s.rx, 3)}, ${rlNum(s.ry, 3)})`,
      `arg z = ${rlVal("arg_z_deg", s.arg_z_deg, rlNum(s.arg_z_deg, 1))}° &nbsp; arg z·e<sup>iθ</sup> = ` +
        `${rlVal("arg_rotated_deg", s.arg_rotated_deg, rlNum(s.arg_rotated_deg, 1))}°`,
    ].join("<br>");
  },
};
