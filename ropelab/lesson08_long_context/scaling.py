"""Context extension (上下文扩展) for RoPE: one registry of scaling methods.

A model trained on sequences of ``original_max_position_embeddings`` tokens has only ever
seen the rotation angles ``m * theta_i`` for ``m`` below that length. To run it on longer
inputs, every method below changes the frequencies ``theta_i`` (and YaRN also scales the
attention logits):

=========  ===========================================================================
method     what it does to pair ``i`` (``theta_i = base ** (-2i / dim)``)
=========  ===========================================================================
default    nothing: ``theta_i``
linear     position interpolation (位置插值): every ``theta_i / factor``
ntk        NTK-aware base scaling: a larger base ``base * factor ** (dim / (dim - 2))``;
           the fastest pair is untouched, the slowest is divided by ``factor``
dynamic    dynamic NTK: the NTK base, with the factor following the current ``seq_len``
yarn       YaRN: fast pairs untouched, slow pairs divided by ``factor``, a linear ramp
           between, plus an attention temperature ``0.1 * ln(factor) + 1`` on cos/sin
llama3     Llama 3.1: wavelengths shorter than ``original / high_freq_factor`` untouched,
           longer than ``original / low_freq_factor`` divided by ``factor``, smooth between
=========  ===========================================================================

Each method is one :class:`Method` record in :data:`METHODS` (like ``transformers``'
``ROPE_INIT_FUNCTIONS``): its parameters, its frequency function, its ``transformers`` rope
type and how figures draw it. Adding a method is adding one record.

Parameter names are those of ``transformers``' ``rope_parameters`` config dicts, and
:func:`scaled_inv_freq` matches the installed ``transformers``' rope initialisation
functions (``transformers.modeling_rope_utils.ROPE_INIT_FUNCTIONS``) to float32 rounding;
:func:`transformers_inv_freq` calls them for a side-by-side check. ``"ntk"`` has no
``transformers`` rope type of its own: it equals ``"dynamic"`` evaluated at a fixed length.

Shapes: ``inv_freq`` and every per-pair quantity ``(dim // 2,)``; angle tables
``(seq, dim // 2)``; ``x: (..., seq, dim)``.

The precision of the angle table (bfloat16 / float16 vs float32) is in
:mod:`ropelab.lesson08_long_context.precision`; its functions are re-exported here, so
``ropelab.scaling.cos_sin_table`` works too.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import torch

from .._validate import (
    as_positions,
    check_base,
    check_choice,
    check_even_dim,
    check_int,
    check_real,
    check_tensor,
)
from ..rope import DEFAULT_BASE, LAYOUTS, angles_from_freqs, inv_freq, rope_from_angles
from .precision import angle_error, angle_table, cos_sin_table, distinct_positions, scores_at_distance

__all__ = [
    "Method",
    "METHODS",
    "PARAMETERS",
    "TRANSFORMERS_ROPE_TYPE",
    "scaled_inv_freq",
    "ntk_base",
    "dynamic_scale",
    "yarn_attention_factor",
    "yarn_ramp",
    "scaled_angles",
    "apply_scaled_rope",
    "transformers_inv_freq",
    "method_params",
    "extension_profile",
    # re-exported from .precision
    "angle_table",
    "angle_error",
    "cos_sin_table",
    "distinct_positions",
    "scores_at_distance",
]

# the parameters that are lengths, not part of transformers' rope_parameters: transformers reads
# max_position_embeddings from the model config and seq_len from the call
_LENGTHS = ("max_position_embeddings", "seq_len")


def _config_lengths(params: Mapping[str, Any]) -> tuple[int, int | None]:
    return 2048, None  # LlamaConfig's default max_position_embeddings; no seq_len


@dataclass(frozen=True)
class Method:
    """Everything ropelab knows about one context-extension method, in one place.

    * ``name``: the ``method=`` argument and the key in :data:`METHODS`.
    * ``required``, ``optional``: its parameters, named as in ``transformers``' ``rope_parameters``.
    * ``inv_freq_fn(theta, dim, base, params) -> (inv_freq, attention_factor)``: the method
      itself. ``theta = inv_freq(dim, base)`` are the unscaled frequencies; ``dim``, ``base``
      and the parameter names are already checked, and ``params["factor"] >= 1``.
    * ``typical``: values of the parameters other than the factor and the lengths, for
      :func:`method_params` (the lengths come from the trained and the target length).
    * ``min_dim``: the smallest ``dim`` it works for (the NTK exponent ``dim / (dim - 2)``
      needs 4).
    * ``transformers_rope_type``: its key in ``ROPE_INIT_FUNCTIONS`` (``"default"``: Llama's
      default), or ``None`` with ``transformers_note`` saying why and what to use instead.
    * ``transformers_lengths(params) -> (max_position_embeddings, seq_len)``: the lengths of
      the tiny ``LlamaConfig`` and the init call of :func:`transformers_inv_freq`.
    * ``color`` (a key of :data:`ropelab.common.figures.PALETTE`), ``linestyle``: how figures draw it.
    """

    name: str
    inv_freq_fn: Callable[[torch.Tensor, int, float, Mapping[str, Any]], tuple[torch.Tensor, float]]
    color: str
    linestyle: str = "-"
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    typical: Mapping[str, float] = field(default_factory=dict)
    min_dim: int = 2
    transformers_rope_type: str | None = None
    transformers_note: str = ""
    transformers_lengths: Callable[[Mapping[str, Any]], tuple[int, int | None]] = _config_lengths


# ---------------------------------------------------------------------------
# parameter checking
# ---------------------------------------------------------------------------

def _method(name) -> Method:
    return METHODS[check_choice(name, "method", tuple(METHODS))]


def _check_params(method: Method, params: Mapping[str, Any]) -> dict[str, Any]:
    allowed = method.required + method.optional
    unknown = [k for k in params if k not in allowed]
    if unknown:
        accepted = ", ".join(allowed) if allowed else "no parameters"
        raise TypeError(
            f"method {method.name!r} got unexpected parameter(s) {', '.join(repr(k) for k in unknown)}; "
            f"it accepts: {accepted}"
        )
    missing = [k for k in method.required if params.get(k) is None]
    if missing:
        raise TypeError(
            f"method {method.name!r} needs the parameter(s) {', '.join(missing)} "
            f"(required: {', '.join(method.required)})"
        )
    return dict(params)


def _factor(value) -> float:
    factor = check_real(value, "factor", positive=True)
    if factor < 1.0:
        raise ValueError(
            f"factor must be >= 1 (the ratio new context length / trained context length); got {factor}"
        )
    return factor


def _check_dim(dim, method: Method) -> int:
    dim = check_even_dim(dim, "dim")
    if dim < method.min_dim:
        raise ValueError(
            f"method {method.name!r} uses the exponent dim / (dim - 2), so dim must be >= {method.min_dim}; "
            f"got {dim}"
        )
    return dim


def _original_length(params: Mapping[str, Any]) -> int:
    return check_int(params["original_max_position_embeddings"], "original_max_position_embeddings", minimum=1)


# ---------------------------------------------------------------------------
# the methods' building blocks
# ---------------------------------------------------------------------------

def ntk_base(dim: int, base: float = DEFAULT_BASE, factor: float = 1.0) -> float:
    """The NTK-aware base ``base * factor ** (dim / (dim - 2))``.

    Chosen so that the slowest pair (``i = dim/2 - 1``) turns exactly ``factor`` times
    slower, while the fastest pair (``i = 0``, ``theta_0 = 1``) is unchanged.
    """
    dim = _check_dim(dim, METHODS["ntk"])
    base = check_base(base)
    factor = _factor(factor)
    return base * factor ** (dim / (dim - 2))


def dynamic_scale(factor: float, max_position_embeddings: int, seq_len: int) -> float:
    """The scale dynamic NTK uses at the current ``seq_len``: ``factor * L / L_max - (factor - 1)``.

    ``L = max(seq_len, max_position_embeddings)``, so the scale is 1 (no change) up to the
    trained length and grows linearly with the input after it, without bound. Dynamic NTK
    is static NTK (:func:`ntk_base`) with this scale in place of ``factor``.
    """
    factor = _factor(factor)
    max_pos = check_int(max_position_embeddings, "max_position_embeddings", minimum=1)
    seq_len = check_int(seq_len, "seq_len", minimum=1)
    length = max(seq_len, max_pos)
    return (factor * length / max_pos) - (factor - 1)


def yarn_attention_factor(factor: float, mscale: float | None = None,
                          mscale_all_dim: float | None = None) -> float:
    """YaRN's attention temperature: the number cos and sin are multiplied by.

    ``0.1 * ln(factor) + 1`` (1 for ``factor <= 1``); DeepSeek-style configs give
    ``mscale`` and ``mscale_all_dim`` and use the ratio
    ``(0.1 * mscale * ln(factor) + 1) / (0.1 * mscale_all_dim * ln(factor) + 1)``.
    Since both q and k are scaled, the attention logits grow by its square.
    """
    factor = _factor(factor)
    if (mscale is None) != (mscale_all_dim is None):
        raise ValueError(
            "mscale and mscale_all_dim must be given together (transformers silently ignores one "
            f"given alone); got mscale={mscale!r}, mscale_all_dim={mscale_all_dim!r}"
        )

    def get(scale: float, m: float = 1.0) -> float:
        return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0

    if mscale is not None:
        mscale = check_real(mscale, "mscale")
        mscale_all_dim = check_real(mscale_all_dim, "mscale_all_dim")
        if mscale and mscale_all_dim:
            return float(get(factor, mscale) / get(factor, mscale_all_dim))
    return get(factor)


def yarn_ramp(dim: int, base: float = DEFAULT_BASE, original_max_position_embeddings: int = 2048,
              beta_fast: float = 32.0, beta_slow: float = 1.0, truncate: bool = True) -> torch.Tensor:
    """YaRN's share of interpolation per pair: float32 ``(dim // 2,)``, 0 = untouched, 1 = divided by factor.

    A pair that turns more than ``beta_fast`` times within the original context is left
    alone; one that turns fewer than ``beta_slow`` times is interpolated; a linear ramp in the
    pair index joins the two.
    """
    dim = check_even_dim(dim, "dim")
    base = check_base(base)
    orig = check_int(original_max_position_embeddings, "original_max_position_embeddings", minimum=1)
    beta_fast = check_real(beta_fast, "beta_fast", positive=True)
    beta_slow = check_real(beta_slow, "beta_slow", positive=True)
    if beta_fast <= beta_slow:
        raise ValueError(f"beta_fast must be > beta_slow; got beta_fast={beta_fast}, beta_slow={beta_slow}")
    if not isinstance(truncate, bool):
        raise TypeError(f"truncate must be True or False; got {truncate!r}")

    def pair_index(rotations: float) -> float:
        # the pair i that turns `rotations` times over the original context
        return (dim * math.log(orig / (rotations * 2 * math.pi))) / (2 * math.log(base))

    low, high = pair_index(beta_fast), pair_index(beta_slow)
    if truncate:
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001  # as transformers: avoid dividing by zero
    ramp = (torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low)
    return torch.clamp(ramp, 0, 1)


# ---------------------------------------------------------------------------
# the methods: (theta, dim, base, params) -> (inv_freq, attention_factor)
# ---------------------------------------------------------------------------

def _default(theta: torch.Tensor, dim: int, base: float, p: Mapping[str, Any]) -> tuple[torch.Tensor, float]:
    return theta, 1.0


def _linear(theta: torch.Tensor, dim: int, base: float, p: Mapping[str, Any]) -> tuple[torch.Tensor, float]:
    return theta / p["factor"], 1.0


def _ntk(theta: torch.Tensor, dim: int, base: float, p: Mapping[str, Any]) -> tuple[torch.Tensor, float]:
    return inv_freq(dim, ntk_base(dim, base, p["factor"])), 1.0


def _dynamic(theta: torch.Tensor, dim: int, base: float, p: Mapping[str, Any]) -> tuple[torch.Tensor, float]:
    scale = dynamic_scale(p["factor"], p["max_position_embeddings"], p["seq_len"])
    return inv_freq(dim, base * scale ** (dim / (dim - 2))), 1.0


def _yarn(theta: torch.Tensor, dim: int, base: float, p: Mapping[str, Any]) -> tuple[torch.Tensor, float]:
    factor = p["factor"]
    beta_fast = 32.0 if p.get("beta_fast") is None else p["beta_fast"]
    beta_slow = 1.0 if p.get("beta_slow") is None else p["beta_slow"]
    truncate = True if p.get("truncate") is None else p["truncate"]
    ramp = yarn_ramp(dim, base, _original_length(p), beta_fast, beta_slow, truncate)
    if p.get("attention_factor") is not None:
        attention_factor = check_real(p["attention_factor"], "attention_factor", positive=True)
    else:
        attention_factor = yarn_attention_factor(factor, p.get("mscale"), p.get("mscale_all_dim"))
    # the same float32 steps as transformers: 1/pos_freqs and 1/(factor*pos_freqs), blended
    pos_freqs = base ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim)
    extrapolation = 1.0 / pos_freqs
    interpolation = 1.0 / (factor * pos_freqs)
    keep = 1 - ramp
    return interpolation * (1 - keep) + extrapolation * keep, attention_factor


def _llama3(theta: torch.Tensor, dim: int, base: float, p: Mapping[str, Any]) -> tuple[torch.Tensor, float]:
    factor = p["factor"]
    low = check_real(p["low_freq_factor"], "low_freq_factor", positive=True)
    high = check_real(p["high_freq_factor"], "high_freq_factor", positive=True)
    if high <= low:
        raise ValueError(
            f"high_freq_factor must be > low_freq_factor; got high_freq_factor={high}, low_freq_factor={low}"
        )
    orig = _original_length(p)
    wavelen = 2 * math.pi / theta
    out = torch.where(wavelen > orig / low, theta / factor, theta)
    smooth = (orig / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * out / factor + smooth * out
    medium = (wavelen >= orig / high) & (wavelen <= orig / low)
    return torch.where(medium, smoothed, out), 1.0


# the lengths for transformers_inv_freq (the other methods use _config_lengths)

def _dynamic_lengths(p: Mapping[str, Any]) -> tuple[int, int | None]:
    return (check_int(p["max_position_embeddings"], "max_position_embeddings", minimum=1),
            check_int(p["seq_len"], "seq_len", minimum=1))


def _yarn_lengths(p: Mapping[str, Any]) -> tuple[int, int | None]:
    orig = _original_length(p)
    _factor(p["factor"])  # refused below 1, as by scaled_inv_freq
    return orig, None  # yarn warns unless max_position_embeddings is original (or original * factor)


def _llama3_lengths(p: Mapping[str, Any]) -> tuple[int, int | None]:
    orig, factor = _original_length(p), _factor(p["factor"])
    return max(int(math.ceil(orig * factor)), orig + 1), None  # llama3 warns unless it is > original


METHODS: dict[str, Method] = {m.name: m for m in (
    Method("default", _default, color="black", linestyle="--", transformers_rope_type="default"),
    Method("linear", _linear, color="sky", required=("factor",), transformers_rope_type="linear"),
    Method("ntk", _ntk, color="green", required=("factor",), min_dim=4,
           transformers_note="static NTK-aware scaling; it is 'dynamic' at a fixed length: use method='dynamic' "
                             "with seq_len chosen so that the scale equals factor"),
    Method("dynamic", _dynamic, color="orange", linestyle="-.",
           required=("factor", "max_position_embeddings", "seq_len"), min_dim=4,
           transformers_rope_type="dynamic", transformers_lengths=_dynamic_lengths),
    Method("yarn", _yarn, color="purple", required=("factor", "original_max_position_embeddings"),
           optional=("beta_fast", "beta_slow", "mscale", "mscale_all_dim", "attention_factor", "truncate"),
           transformers_rope_type="yarn", transformers_lengths=_yarn_lengths),
    Method("llama3", _llama3, color="blue", linestyle=":",
           required=("factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"),
           typical={"low_freq_factor": 1.0, "high_freq_factor": 4.0},  # Llama 3.1's values
           transformers_rope_type="llama3", transformers_lengths=_llama3_lengths),
)}
"""Every context-extension method by name, in the order figures and the widget show them."""

# views of the registry, by method name
PARAMETERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    name: (m.required, m.optional) for name, m in METHODS.items()
}
"""method -> (required parameters, optional parameters), names as in transformers' rope_parameters."""
TRANSFORMERS_ROPE_TYPE: dict[str, str | None] = {name: m.transformers_rope_type for name, m in METHODS.items()}
"""method -> transformers rope_type (None: transformers has no rope type for it)."""


# ---------------------------------------------------------------------------
# scaled frequencies, angles and RoPE
# ---------------------------------------------------------------------------

def scaled_inv_freq(dim: int, base: float = DEFAULT_BASE, method: str = "default",
                    **params) -> tuple[torch.Tensor, float]:
    """Frequencies after a context-extension method: ``(inv_freq, attention_factor)``.

    ``inv_freq`` is float32 ``(dim // 2,)``; ``attention_factor`` is the number the cos and
    sin tables are multiplied by (1.0 except for YaRN). Parameters (as in ``transformers``):

    * ``"default"``: none.
    * ``"linear"``, ``"ntk"``: ``factor``.
    * ``"dynamic"``: ``factor``, ``max_position_embeddings``, ``seq_len`` (the current length).
    * ``"yarn"``: ``factor``, ``original_max_position_embeddings``; optional ``beta_fast`` (32),
      ``beta_slow`` (1), ``mscale`` and ``mscale_all_dim`` (together), ``attention_factor``
      (overrides the computed one), ``truncate`` (True).
    * ``"llama3"``: ``factor``, ``low_freq_factor``, ``high_freq_factor``,
      ``original_max_position_embeddings``.

    Matches ``transformers.modeling_rope_utils.ROPE_INIT_FUNCTIONS[method]`` (and the Llama
    default) for every method ``transformers`` has.
    """
    m = _method(method)
    dim = _check_dim(dim, m)
    base = check_base(base)
    p = _check_params(m, params)
    theta = inv_freq(dim, base)
    if "factor" in p:
        p["factor"] = _factor(p["factor"])
    return m.inv_freq_fn(theta, dim, base, p)


def scaled_angles(positions, dim: int, base: float = DEFAULT_BASE, method: str = "default",
                  **params) -> tuple[torch.Tensor, float]:
    """The angle table after scaling, ``(angles, attention_factor)``; angles float32 ``(seq, dim // 2)``.

    ``angles[m, i] = positions[m] * scaled_theta_i``; feed it to :func:`ropelab.rope_from_angles`.
    """
    positions = as_positions(positions, "positions")
    freqs, attention_factor = scaled_inv_freq(dim, base, method, **params)
    return angles_from_freqs(positions, freqs), attention_factor


def apply_scaled_rope(x, positions, base: float = DEFAULT_BASE, method: str = "default",
                      layout: str = "half", **params) -> torch.Tensor:
    """RoPE with a context-extension method, the way ``transformers`` applies it.

    ``x: (..., seq, dim)``, ``positions: (seq,)``. The result is ``rope(x)`` times the
    method's ``attention_factor`` (``transformers`` multiplies cos and sin by it), in x's dtype.
    ``layout="half"`` (default here, as in ``transformers``) or ``"interleaved"``.
    """
    x = check_tensor(x, "x", floating=True, min_ndim=2, shape_hint="(..., seq, dim)",
                     fix="for a single vector (dim,) use x[None], a sequence of one token")
    layout = check_choice(layout, "layout", LAYOUTS)
    positions = as_positions(positions, "positions", length=x.shape[-2], length_name="seq = x.shape[-2]")
    table, attention_factor = scaled_angles(positions, x.shape[-1], base, method, **params)
    out = rope_from_angles(x, table, layout)
    if attention_factor != 1.0:
        out = (out.to(table.dtype) * attention_factor).to(x.dtype)
    return out


# ---------------------------------------------------------------------------
# the installed transformers, for side-by-side checks
# ---------------------------------------------------------------------------

def transformers_inv_freq(dim: int, base: float = DEFAULT_BASE, method: str = "default",
                          **params) -> tuple[torch.Tensor, float]:
    """``(inv_freq, attention_factor)`` computed by the installed ``transformers``.

    Builds a tiny ``LlamaConfig`` whose ``rope_parameters`` hold ``method``'s parameters and
    calls ``ROPE_INIT_FUNCTIONS[rope_type]`` (the Llama default for ``"default"``).
    ``"ntk"`` raises: ``transformers`` has no static NTK rope type (use ``"dynamic"``).
    """
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
    from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

    from ..common.hf import llama_config

    m = _method(method)
    if m.transformers_rope_type is None:
        raise ValueError(f"transformers has no rope type for {m.transformers_note}")
    dim = _check_dim(dim, m)
    p = _check_params(m, params)
    max_pos, seq_len = m.transformers_lengths(p)
    rope_parameters = {"rope_type": m.transformers_rope_type,
                       **{k: v for k, v in p.items() if k not in _LENGTHS and v is not None}}
    cfg = llama_config(head_dim=dim, base=base, max_position_embeddings=max_pos,
                       rope_parameters=rope_parameters)
    # transformers keeps the default on the model's rotary class, not in ROPE_INIT_FUNCTIONS
    fn = ROPE_INIT_FUNCTIONS.get(m.transformers_rope_type, LlamaRotaryEmbedding.compute_default_rope_parameters)
    return fn(cfg, seq_len=seq_len)


# ---------------------------------------------------------------------------
# what each method does to positions beyond the trained length
# ---------------------------------------------------------------------------

def method_params(method: str, factor: float, train_len: int, target_len: int) -> dict[str, Any]:
    """Typical parameters of ``method`` for a model trained on ``train_len`` tokens, run on ``target_len``.

    Every method gets ``factor``; ``dynamic`` gets ``max_position_embeddings = train_len`` and
    ``seq_len = target_len``; ``yarn`` and ``llama3`` get ``original_max_position_embeddings =
    train_len``; ``llama3`` uses the Llama 3.1 values ``low_freq_factor = 1``,
    ``high_freq_factor = 4`` (its record's ``typical``).
    """
    m = _method(method)
    factor = _factor(factor)
    train_len = check_int(train_len, "train_len", minimum=1)
    target_len = check_int(target_len, "target_len", minimum=1)
    setting = {"factor": factor, "max_position_embeddings": train_len,
               "original_max_position_embeddings": train_len, "seq_len": target_len}
    return {name: m.typical[name] if name in m.typical else setting[name] for name in m.required}


def extension_profile(dim: int = 128, base: float = DEFAULT_BASE, method: str = "default",
                      factor: float = 1.0, train_len: int = 4096, target_len: int = 16384) -> dict[str, Any]:
    """Per-pair numbers that show what ``method`` does beyond the trained length.

    Returns a dict (every tensor float64 ``(dim // 2,)``):

    * ``theta``, ``theta_scaled``: frequencies before and after; ``ratio = theta_scaled / theta``.
    * ``wavelength``, ``wavelength_scaled``: ``2*pi / theta`` in positions.
    * ``train_max_angle = (train_len - 1) * theta``: the largest angle pair i saw in training.
    * ``target_max_angle = (target_len - 1) * theta_scaled``: the largest it sees at inference.
    * ``unseen``: bool, pairs whose inference angles go beyond anything seen in training (by
      more than one position step, ``theta``) although training never completed a full turn
      (``train_max_angle < 2*pi``): the model meets rotation angles it was never trained on.
      ``n_unseen`` counts them. (Position interpolation maps the last position ``s*L - 1`` to
      ``L - 1/s``, a fraction of a step past ``L - 1``: that does not count.)
    * ``attention_factor``, ``params`` (from :func:`method_params`), and the inputs.
    """
    dim = _check_dim(dim, METHODS[method] if method in tuple(METHODS) else METHODS["default"])
    params = method_params(method, factor, train_len, target_len)
    theta = inv_freq(dim, base).double()
    scaled, attention_factor = scaled_inv_freq(dim, base, method, **params)
    scaled = scaled.double()
    train_max = (train_len - 1) * theta
    target_max = (target_len - 1) * scaled
    unseen = (target_max > train_max + theta) & (train_max < 2 * math.pi)
    return {
        "dim": dim, "base": float(base), "method": method, "factor": float(factor),
        "train_len": int(train_len), "target_len": int(target_len), "params": params,
        "pair": torch.arange(dim // 2),
        "theta": theta, "theta_scaled": scaled, "ratio": scaled / theta,
        "wavelength": 2 * math.pi / theta, "wavelength_scaled": 2 * math.pi / scaled,
        "train_max_angle": train_max, "target_max_angle": target_max,
        "unseen": unseen, "n_unseen": int(unseen.sum()),
        "attention_factor": float(attention_factor),
    }
