// The context-extension widget of notebook 08: a method, a scale factor s and a target length.
// Left: the wavelength of every pair before and after scaling, against the trained and the target
// length. Right: the largest angle each pair reaches in training and at the target length.
// The numbers mirror ropelab.lesson08_long_context.widget.extension_state, i.e.
// ropelab.scaling.extension_profile with the methods of ropelab.scaling.METHODS (Python checks them).
// Every method is computed with the float32 steps of ropelab (and transformers): Math.fround rounds.

const F32 = Math.fround;

// ropelab.inv_freq in float32: 1 / base ** (2i / dim); also base ** (2i / dim) itself (YaRN uses it)
function extPosFreqs(dim, base) {
  const b = F32(base);
  const out = new Float64Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) out[i] = F32(Math.pow(b, F32((2 * i) / dim)));
  return out;
}

function extInvFreq(dim, base) {
  const pos = extPosFreqs(dim, base);
  return pos.map((p) => F32(1 / p));
}

// ropelab.scaling.dynamic_scale
function extDynamicScale(factor, maxPos, seqLen) {
  const length = Math.max(seqLen, maxPos);
  return (factor * length) / maxPos - (factor - 1);
}

// ropelab.scaling.yarn_ramp (truncate=True), float32
function extYarnRamp(dim, base, orig, betaFast, betaSlow) {
  const pairIndex = (rot) => (dim * Math.log(orig / (rot * 2 * Math.PI))) / (2 * Math.log(base));
  let low = Math.floor(pairIndex(betaFast));
  let high = Math.ceil(pairIndex(betaSlow));
  low = Math.max(low, 0);
  high = Math.min(high, dim - 1);
  if (low === high) high += 0.001;
  const span = F32(high - low);
  const ramp = new Float64Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) ramp[i] = Math.min(Math.max(F32(F32(i - low) / span), 0), 1);
  return ramp;
}

// ropelab.scaling.yarn_attention_factor (no mscale)
function extYarnAttention(factor) {
  return factor <= 1 ? 1.0 : 0.1 * Math.log(factor) + 1.0;
}

// the registry: ropelab.scaling.METHODS, in its order. required: the parameters method_params gives
// (typical: Llama 3.1's values); scaled(theta, dim, base, p) -> [inv_freq, attention_factor]
const EXT_METHODS = {
  default: { color: "#000000", required: [], scaled: (theta) => [theta, 1.0] },
  linear: { color: "#56B4E9", required: ["factor"],
    scaled: (theta, dim, base, p) => [theta.map((t) => F32(t / p.factor)), 1.0] },
  ntk: { color: "#009E73", required: ["factor"],
    scaled: (theta, dim, base, p) => [extInvFreq(dim, base * Math.pow(p.factor, dim / (dim - 2))), 1.0] },
  dynamic: { color: "#E69F00", required: ["factor", "max_position_embeddings", "seq_len"],
    scaled: (theta, dim, base, p) => {
      const scale = extDynamicScale(p.factor, p.max_position_embeddings, p.seq_len);
      return [extInvFreq(dim, base * Math.pow(scale, dim / (dim - 2))), 1.0];
    } },
  yarn: { color: "#CC79A7", required: ["factor", "original_max_position_embeddings"],
    scaled: (theta, dim, base, p) => {
      const ramp = extYarnRamp(dim, base, p.original_max_position_embeddings, 32.0, 1.0);
      const pos = extPosFreqs(dim, base);
      const f = p.factor;
      const out = new Float64Array(dim / 2);
      for (let i = 0; i < dim / 2; i++) {
        const extrapolation = F32(1 / pos[i]);
        const interpolation = F32(1 / F32(f * pos[i]));
        const keep = F32(1 - ramp[i]);
        out[i] = F32(F32(interpolation * F32(1 - keep)) + F32(extrapolation * keep));
      }
      return [out, extYarnAttention(f)];
    } },
  llama3: { color: "#0072B2",
    required: ["factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"],
    typical: { low_freq_factor: 1.0, high_freq_factor: 4.0 },
    scaled: (theta, dim, base, p) => {
      const f = p.factor;
      const low = p.low_freq_factor;
      const high = p.high_freq_factor;
      const orig = p.original_max_position_embeddings;
      const twoPi = F32(2 * Math.PI);
      const lowWave = F32(orig / low);
      const highWave = F32(orig / high);
      const out = new Float64Array(dim / 2);
      for (let i = 0; i < dim / 2; i++) {
        const t = theta[i];
        const wavelen = F32(F32(1 / t) * twoPi);
        const kept = wavelen > lowWave ? F32(t / f) : t;
        const smooth = F32(F32(F32(F32(F32(1 / wavelen) * orig) - low)) / F32(high - low));
        const smoothed = F32(F32(F32(F32(1 - smooth) * kept) / f) + F32(smooth * kept));
        out[i] = wavelen >= highWave && wavelen <= lowWave ? smoothed : kept;
      }
      return [out, 1.0];
    } },
};

const EXT_TARGET_LENGTHS = [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072];

function extTicks(n) {
  // integer ticks 0, step, ... within the pair axis, about six of them (matplotlib's choice for 64: 10)
  const steps = [1, 2, 5, 10, 20, 50];
  const step = steps.find((s) => n / s <= 7) || 100;
  const out = [];
  for (let t = 0; t < n; t += step) out.push([t, String(t)]);
  return out;
}

const WIDGET = {
  name: "extension_widget",
  width: 1100,
  height: 470,
  controls: [
    { name: "method", kind: "dropdown", options: Object.keys(EXT_METHODS), label: { en: "method", zh: "方法" } },
    { name: "factor", kind: "range", min: 1, max: 32, step: 0.5, label: { en: "scale factor s", zh: "缩放因子 s" },
      format: (v) => v.toFixed(1) },
    { name: "target_len", kind: "select", options: EXT_TARGET_LENGTHS,
      label: { en: "target length", zh: "目标长度" }, format: (v) => String(v) },
  ],

  compute(v, fixed) {
    const { dim, base, train_len: trainLen } = fixed;
    const m = EXT_METHODS[v.method];
    const factor = v.factor;
    const targetLen = v.target_len;
    // ropelab.scaling.method_params
    const setting = { factor, max_position_embeddings: trainLen, original_max_position_embeddings: trainLen,
      seq_len: targetLen };
    const params = {};
    for (const name of m.required) params[name] = m.typical && name in m.typical ? m.typical[name] : setting[name];
    const theta = extInvFreq(dim, base);
    const [scaled, attention] = m.scaled(theta, dim, base, params);
    const n = dim / 2;
    const pair = new Float64Array(n);
    const ratio = new Float64Array(n);
    const wavelength = new Float64Array(n);
    const wavelengthScaled = new Float64Array(n);
    const trainMax = new Float64Array(n);
    const targetMax = new Float64Array(n);
    const unseen = [];
    for (let i = 0; i < n; i++) {
      pair[i] = i;
      ratio[i] = scaled[i] / theta[i];
      wavelength[i] = (2 * Math.PI) / theta[i];
      wavelengthScaled[i] = (2 * Math.PI) / scaled[i];
      trainMax[i] = (trainLen - 1) * theta[i];
      targetMax[i] = (targetLen - 1) * scaled[i];
      if (targetMax[i] > trainMax[i] + theta[i] && trainMax[i] < 2 * Math.PI) unseen.push(i);
    }
    return {
      method: v.method, factor, target_len: targetLen, dim, base, train_len: trainLen, params,
      pair, theta, theta_scaled: scaled, ratio, wavelength, wavelength_scaled: wavelengthScaled,
      train_max_angle: trainMax, target_max_angle: targetMax, unseen_pairs: unseen, n_unseen: unseen.length,
      attention_factor: attention, fastest_ratio: ratio[0], slowest_ratio: ratio[n - 1],
      color: m.color,
    };
  },

  setup(svg, L, s) {
    const n = s.pair.length;
    const sup = (p) => `10^{${p < 0 ? "−" : ""}${Math.abs(p)}}`;
    const pairLabel = L({ en: "pair index i (fast → slow)", zh: "频率对序号 i（快 → 慢）" });
    const ctx = { method: null };
    // left: wavelengths
    const ax1 = rlAxes(svg, { x: 95, y: 45, w: 410, h: 340 }, {
      x: [-1, n], y: [3, 2e8], yscale: "log", grid: true, xticks: extTicks(n),
      yticks: [1, 2, 3, 4, 5, 6, 7, 8].map((p) => [Math.pow(10, p), sup(p)]),
      xlabel: pairLabel,
      ylabel: L({ en: "wavelength 2π/θ_{i} (positions)", zh: "波长 2π/θ_{i}（位置数）" }),
    });
    ctx.ax1 = ax1;
    rlSvg("path", { d: rlPath(s.pair, s.wavelength, ax1.sx, ax1.sy), fill: "none", stroke: "#7f7f7f",
      "stroke-width": 2.5, "data-role": "wave-original" }, ax1.g);
    ctx.wave = rlSvg("path", { fill: "none", "stroke-width": 3, "stroke-linejoin": "round", "data-role": "wave" },
      ax1.g);
    const yTrain = ax1.sy(s.train_len);
    rlSvg("line", { x1: ax1.box.x, x2: ax1.box.x + ax1.box.w, y1: yTrain, y2: yTrain, stroke: "#000",
      "stroke-width": 1.5, "stroke-dasharray": "6 3" }, ax1.g);
    rlSvg("text", { x: ax1.sx(0.5), y: ax1.sy(s.train_len * 1.25), "font-size": 13 }, ax1.g,
      `${L({ en: "trained length", zh: "训练长度" })} ${s.train_len}`);
    ctx.targetLine = rlSvg("line", { x1: ax1.box.x, x2: ax1.box.x + ax1.box.w, stroke: "#D55E00",
      "stroke-width": 1.5, "stroke-dasharray": "1.5 2.5", "data-role": "target-line" }, ax1.g);
    ctx.targetText = rlSvg("text", { x: ax1.sx(0.5), "font-size": 13, fill: "#D55E00", "data-role": "target-text" },
      ax1.g);
    ctx.title1 = ax1.title;
    const legend = (x, y, entries) => {
      const swatches = [];
      entries.forEach(([kind, color, text], i) => {
        const yy = y + i * 24;
        const sw = kind === "dot"
          ? rlSvg("circle", { cx: x + 15, cy: yy, r: 4.5, fill: color }, svg)
          : rlSvg("line", { x1: x, x2: x + 30, y1: yy, y2: yy, stroke: color, "stroke-width": 3 }, svg);
        swatches.push(sw);
        rlSvg("text", { x: x + 40, y: yy + 5, "font-size": 13 }, svg, text);
      });
      return swatches;
    };
    const sw1 = legend(ax1.box.x + ax1.box.w - 150, ax1.box.y + ax1.box.h - 50, [
      ["line", "#7f7f7f", L({ en: "original", zh: "原始" })],
      ["line", s.color, L({ en: "after scaling", zh: "缩放后" })],
    ]);
    // right: the largest angles
    const ax2 = rlAxes(svg, { x: 640, y: 45, w: 410, h: 340 }, {
      x: [-1, n], y: [1e-3, 1e6], yscale: "log", grid: true, xticks: extTicks(n),
      yticks: [-2, 0, 2, 4, 6].map((p) => [Math.pow(10, p), sup(p)]),
      xlabel: pairLabel, ylabel: L({ en: "angle (radians)", zh: "角度（弧度）" }), ylabelGap: 62,
    });
    ctx.ax2 = ax2;
    rlSvg("path", { d: rlPath(s.pair, s.train_max_angle, ax2.sx, ax2.sy), fill: "none", stroke: "#7f7f7f",
      "stroke-width": 2.5, "data-role": "angle-train" }, ax2.g);
    ctx.angle = rlSvg("path", { fill: "none", "stroke-width": 3, "stroke-linejoin": "round", "data-role": "angle" },
      ax2.g);
    const yTurn = ax2.sy(2 * Math.PI);
    rlSvg("line", { x1: ax2.box.x, x2: ax2.box.x + ax2.box.w, y1: yTurn, y2: yTurn, stroke: "#000",
      "stroke-width": 1.2, "stroke-dasharray": "5 3" }, ax2.g);
    rlSvg("text", { x: ax2.sx(0.5), y: ax2.sy(2 * Math.PI * 1.3), "font-size": 13 }, ax2.g,
      L({ en: "one full turn 2π", zh: "转满一圈 2π" }));
    ctx.unseen = rlSvg("path", { fill: "none", stroke: "#D55E00", "stroke-width": 9, "stroke-linecap": "round",
      "data-role": "unseen" }, ax2.g);
    const sw2 = legend(ax2.box.x + ax2.box.w - 262, ax2.box.y + 22, [
      ["line", "#7f7f7f", L({ en: "largest angle in training", zh: "训练中的最大角度" })],
      ["line", s.color, L({ en: "largest angle at the target length", zh: "目标长度下的最大角度" })],
      ["dot", "#D55E00", L({ en: "unseen angles", zh: "训练中未见过的角度" })],
    ]);
    ctx.title2 = ax2.title;
    ctx.swatches = [sw1[1], sw2[1]];
    return ctx;
  },

  update(ctx, s, L) {
    if (ctx.method !== s.method) {
      ctx.method = s.method;
      for (const el of [ctx.wave, ctx.angle, ...ctx.swatches]) el.setAttribute("stroke", s.color);
    }
    const { ax1, ax2 } = ctx;
    ctx.wave.setAttribute("d", rlPath(s.pair, s.wavelength_scaled, ax1.sx, ax1.sy));
    ctx.angle.setAttribute("d", rlPath(s.pair, s.target_max_angle, ax2.sx, ax2.sy));
    const y = ax1.sy(s.target_len);
    ctx.targetLine.setAttribute("y1", y);
    ctx.targetLine.setAttribute("y2", y);
    ctx.targetText.setAttribute("y", ax1.sy(s.target_len * 1.25));
    ctx.targetText.textContent = `${L({ en: "target length", zh: "目标长度" })} ${s.target_len}`;
    let dots = "";
    for (const i of s.unseen_pairs) {
      dots += `M${ax2.sx(i).toFixed(2)},${ax2.sy(s.target_max_angle[i]).toFixed(2)}h0`;
    }
    ctx.unseen.setAttribute("d", dots);
    ctx.title1.textContent = L({ en: `${s.method}: wavelengths vs the trained length`,
      zh: `${s.method}：波长与训练长度` });
    const k = s.n_unseen;
    ctx.title2.textContent = k
      ? L({ en: `${k} pair${k !== 1 ? "s" : ""} meet${k === 1 ? "s" : ""} angles never seen in training`,
        zh: `${k} 个频率对遇到训练中从未见过的角度` })
      : L({ en: "every angle at inference was seen in training", zh: "推理时的每个角度在训练中都见过" });
  },

  readout(s, L) {
    const v = (key, value, text) => rlVal(key, value, text);
    const params = Object.entries(s.params).map(([k, p]) => `${k}=${v(`param_${k}`, p, rlSig(p))}`).join(", ");
    const pairs = s.dim / 2;
    const method = `${s.method}(${params || L({ en: "no parameters", zh: "无参数" })})`;
    const dim = v("dim", s.dim, s.dim);
    const base = v("base", s.base, rlSig(s.base));
    const train = v("train_len", s.train_len, s.train_len);
    const target = v("target_len", s.target_len, s.target_len);
    const fast = v("fastest_ratio", s.fastest_ratio, rlNum(s.fastest_ratio, 4));
    const slow = v("slowest_ratio", s.slowest_ratio, rlNum(s.slowest_ratio, 4));
    const inv = v("inv_factor", 1 / s.factor, rlNum(1 / s.factor, 4));
    const att = v("attention_factor", s.attention_factor, rlNum(s.attention_factor, 4));
    const unseen = v("n_unseen", s.n_unseen, s.n_unseen);
    const of = v("pairs", pairs, pairs);
    return L({
      en: [
        `method = ${method} &nbsp; dim = ${dim}, base = ${base}, trained on ${train} tokens, run on ${target}`,
        `fastest pair: θ'₀/θ₀ = ${fast} &nbsp; slowest pair: θ'/θ = ${slow} (1/factor = ${inv})`,
        `attention factor on cos/sin = ${att} &nbsp; pairs with unseen angles: ${unseen} of ${of}`,
      ],
      zh: [
        `方法 = ${method} &nbsp; dim = ${dim}，base = ${base}，训练长度 ${train} 个 token，推理长度 ${target}`,
        `最快的频率对：θ'₀/θ₀ = ${fast} &nbsp; 最慢的频率对：θ'/θ = ${slow}（1/factor = ${inv}）`,
        `cos/sin 上的注意力因子 = ${att} &nbsp; 遇到未见角度的频率对：${unseen} / ${of}`,
      ],
    }).join("<br>");
  },
};
