"""Context extension (上下文扩展) for RoPE, and the precision of the angle table.

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

Parameter names are those of ``transformers``' ``rope_parameters`` config dicts, and
:func:`scaled_inv_freq` matches the installed ``transformers``' rope initialisation
functions (``transformers.modeling_rope_utils.ROPE_INIT_FUNCTIONS``) to float32 rounding;
:func:`transformers_inv_freq` calls them for a side-by-side check. ``"ntk"`` has no
``transformers`` rope type of its own: it equals ``"dynamic"`` evaluated at a fixed length.

Shapes: ``inv_freq`` and every per-pair quantity ``(dim // 2,)``; angle tables
``(seq, dim // 2)``; ``x: (..., seq, dim)``.

The second half of the module is about precision: :func:`angle_table` computes the table
the careless way, entirely in a low-precision dtype, and :func:`cos_sin_table` the right
way (angles in float32, only cos/sin rounded to the low-precision dtype).
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import torch

from ._validate import (
    as_positions,
    check_angle_table,
    check_base,
    check_choice,
    check_even_dim,
    check_int,
    check_real,
    check_tensor,
)
from .rope import DEFAULT_BASE, LAYOUTS, _angles, inv_freq, rope_from_angles

__all__ = [
    "METHODS",
    "PARAMETERS",
    "TRANSFORMERS_ROPE_TYPE",
    "scaled_inv_freq",
    "ntk_base",
    "dynamic_scale",
    "yarn_attention_factor",
    "yarn_ramp",
    "llama3_smooth",
    "scaled_angles",
    "apply_scaled_rope",
    "transformers_inv_freq",
    "method_params",
    "extension_profile",
    "LOW_PRECISION",
    "angle_table",
    "angle_error",
    "cos_sin_table",
    "distinct_positions",
    "scores_at_distance",
]

METHODS = ("default", "linear", "ntk", "dynamic", "yarn", "llama3")

# method -> (required parameters, optional parameters), names as in transformers' rope_parameters
PARAMETERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "default": ((), ()),
    "linear": (("factor",), ()),
    "ntk": (("factor",), ()),
    "dynamic": (("factor", "max_position_embeddings", "seq_len"), ()),
    "yarn": (("factor", "original_max_position_embeddings"),
             ("beta_fast", "beta_slow", "mscale", "mscale_all_dim", "attention_factor", "truncate")),
    "llama3": (("factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"), ()),
}

# ropelab method -> transformers rope_type (None: transformers has no rope type for it)
TRANSFORMERS_ROPE_TYPE = {"default": "default", "linear": "linear", "ntk": None, "dynamic": "dynamic",
                          "yarn": "yarn", "llama3": "llama3"}


# ---------------------------------------------------------------------------
# parameter checking
# ---------------------------------------------------------------------------

def _check_params(method: str, params: Mapping[str, Any]) -> dict[str, Any]:
    required, optional = PARAMETERS[method]
    allowed = required + optional
    unknown = [k for k in params if k not in allowed]
    if unknown:
        accepted = ", ".join(allowed) if allowed else "no parameters"
        raise TypeError(
            f"method {method!r} got unexpected parameter(s) {', '.join(repr(k) for k in unknown)}; "
            f"it accepts: {accepted}"
        )
    missing = [k for k in required if params.get(k) is None]
    if missing:
        raise TypeError(
            f"method {method!r} needs the parameter(s) {', '.join(missing)} "
            f"(required: {', '.join(required)})"
        )
    return dict(params)


def _factor(value) -> float:
    factor = check_real(value, "factor", positive=True)
    if factor < 1.0:
        raise ValueError(
            f"factor must be >= 1 (the ratio new context length / trained context length); got {factor}"
        )
    return factor


def _check_dim(dim, method: str) -> int:
    dim = check_even_dim(dim, "dim")
    if method in ("ntk", "dynamic") and dim < 4:
        raise ValueError(f"method {method!r} uses the exponent dim / (dim - 2), so dim must be >= 4; got {dim}")
    return dim


# ---------------------------------------------------------------------------
# the methods
# ---------------------------------------------------------------------------

def ntk_base(dim: int, base: float = DEFAULT_BASE, factor: float = 1.0) -> float:
    """The NTK-aware base ``base * factor ** (dim / (dim - 2))``.

    Chosen so that the slowest pair (``i = dim/2 - 1``) turns exactly ``factor`` times
    slower, while the fastest pair (``i = 0``, ``theta_0 = 1``) is unchanged.
    """
    dim = _check_dim(dim, "ntk")
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


def llama3_smooth(dim: int, base: float = DEFAULT_BASE, low_freq_factor: float = 1.0,
                  high_freq_factor: float = 4.0, original_max_position_embeddings: int = 8192) -> torch.Tensor:
    """Llama 3.1's share of the original frequency kept per pair: float32 ``(dim // 2,)``.

    1 for wavelengths shorter than ``original / high_freq_factor`` (kept), 0 for wavelengths
    longer than ``original / low_freq_factor`` (divided by factor), and
    ``(original / wavelength - low) / (high - low)`` between.
    """
    dim = check_even_dim(dim, "dim")
    base = check_base(base)
    low, high, orig = _llama3_checks(low_freq_factor, high_freq_factor, original_max_position_embeddings)
    freqs = inv_freq(dim, base)
    wavelen = 2 * math.pi / freqs
    smooth = (orig / wavelen - low) / (high - low)
    smooth = torch.where(wavelen < orig / high, torch.ones_like(smooth), smooth)
    return torch.where(wavelen > orig / low, torch.zeros_like(smooth), smooth)


def _llama3_checks(low, high, orig) -> tuple[float, float, int]:
    low = check_real(low, "low_freq_factor", positive=True)
    high = check_real(high, "high_freq_factor", positive=True)
    if high <= low:
        raise ValueError(
            f"high_freq_factor must be > low_freq_factor; got high_freq_factor={high}, low_freq_factor={low}"
        )
    orig = check_int(orig, "original_max_position_embeddings", minimum=1)
    return low, high, orig


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
    method = check_choice(method, "method", METHODS)
    dim = _check_dim(dim, method)
    base = check_base(base)
    p = _check_params(method, params)
    freqs = inv_freq(dim, base)
    if method == "default":
        return freqs, 1.0
    factor = _factor(p["factor"])
    if method == "linear":
        return freqs / factor, 1.0
    if method == "ntk":
        return inv_freq(dim, ntk_base(dim, base, factor)), 1.0
    if method == "dynamic":
        scale = dynamic_scale(factor, p["max_position_embeddings"], p["seq_len"])
        return inv_freq(dim, base * scale ** (dim / (dim - 2))), 1.0
    if method == "yarn":
        return _yarn(dim, base, factor, p)
    return _llama3(dim, base, factor, p)


def _yarn(dim: int, base: float, factor: float, p: Mapping[str, Any]) -> tuple[torch.Tensor, float]:
    orig = check_int(p["original_max_position_embeddings"], "original_max_position_embeddings", minimum=1)
    beta_fast = 32.0 if p.get("beta_fast") is None else p["beta_fast"]
    beta_slow = 1.0 if p.get("beta_slow") is None else p["beta_slow"]
    truncate = True if p.get("truncate") is None else p["truncate"]
    ramp = yarn_ramp(dim, base, orig, beta_fast, beta_slow, truncate)
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


def _llama3(dim: int, base: float, factor: float, p: Mapping[str, Any]) -> tuple[torch.Tensor, float]:
    low, high, orig = _llama3_checks(p["low_freq_factor"], p["high_freq_factor"],
                                     p["original_max_position_embeddings"])
    freqs = inv_freq(dim, base)
    wavelen = 2 * math.pi / freqs
    out = torch.where(wavelen > orig / low, freqs / factor, freqs)
    smooth = (orig / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * out / factor + smooth * out
    medium = (wavelen >= orig / high) & (wavelen <= orig / low)
    return torch.where(medium, smoothed, out), 1.0


def scaled_angles(positions, dim: int, base: float = DEFAULT_BASE, method: str = "default",
                  **params) -> tuple[torch.Tensor, float]:
    """The angle table after scaling, ``(angles, attention_factor)``; angles float32 ``(seq, dim // 2)``.

    ``angles[m, i] = positions[m] * scaled_theta_i``; feed it to :func:`ropelab.rope_from_angles`.
    """
    positions = as_positions(positions, "positions")
    freqs, attention_factor = scaled_inv_freq(dim, base, method, **params)
    return _angles(positions, freqs), attention_factor


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

    from .hf import llama_config

    method = check_choice(method, "method", METHODS)
    rope_type = TRANSFORMERS_ROPE_TYPE[method]
    if rope_type is None:
        raise ValueError(
            "transformers has no rope type for static NTK-aware scaling; it is 'dynamic' at a fixed "
            "length: use method='dynamic' with seq_len chosen so that the scale equals factor"
        )
    dim = _check_dim(dim, method)
    p = _check_params(method, params)
    if method == "default":
        cfg = llama_config(head_dim=dim, base=base)
        return LlamaRotaryEmbedding.compute_default_rope_parameters(cfg)
    rope_parameters = {"rope_type": rope_type}
    seq_len = None
    max_pos = 2048
    if method == "dynamic":
        max_pos = check_int(p.pop("max_position_embeddings"), "max_position_embeddings", minimum=1)
        seq_len = check_int(p.pop("seq_len"), "seq_len", minimum=1)
    if method in ("yarn", "llama3"):
        orig = check_int(p["original_max_position_embeddings"], "original_max_position_embeddings", minimum=1)
        factor = _factor(p["factor"])
        # yarn warns unless max_position_embeddings is original * factor or original; llama3
        # warns unless it is larger than original: pick values that satisfy both quietly
        max_pos = orig if method == "yarn" else max(int(math.ceil(orig * factor)), orig + 1)
    rope_parameters.update({k: v for k, v in p.items() if v is not None})
    cfg = llama_config(head_dim=dim, base=base, max_position_embeddings=max_pos,
                       rope_parameters=rope_parameters)
    fn = ROPE_INIT_FUNCTIONS[rope_type]
    return fn(cfg, None, seq_len=seq_len) if seq_len is not None else fn(cfg, None)


# ---------------------------------------------------------------------------
# what each method does to positions beyond the trained length
# ---------------------------------------------------------------------------

def method_params(method: str, factor: float, train_len: int, target_len: int) -> dict[str, Any]:
    """Typical parameters of ``method`` for a model trained on ``train_len`` tokens, run on ``target_len``.

    ``dynamic`` gets ``max_position_embeddings = train_len`` and ``seq_len = target_len``;
    ``yarn`` and ``llama3`` get ``original_max_position_embeddings = train_len``; ``llama3``
    uses the Llama 3.1 values ``low_freq_factor = 1``, ``high_freq_factor = 4``.
    """
    method = check_choice(method, "method", METHODS)
    factor = _factor(factor)
    train_len = check_int(train_len, "train_len", minimum=1)
    target_len = check_int(target_len, "target_len", minimum=1)
    if method == "default":
        return {}
    if method in ("linear", "ntk"):
        return {"factor": factor}
    if method == "dynamic":
        return {"factor": factor, "max_position_embeddings": train_len, "seq_len": target_len}
    if method == "yarn":
        return {"factor": factor, "original_max_position_embeddings": train_len}
    return {"factor": factor, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
            "original_max_position_embeddings": train_len}


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
    dim = _check_dim(dim, method if method in METHODS else "default")
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


# ---------------------------------------------------------------------------
# precision of the angle table
# ---------------------------------------------------------------------------

LOW_PRECISION = (torch.bfloat16, torch.float16)


def _check_dtype(dtype) -> torch.dtype:
    allowed = (torch.bfloat16, torch.float16, torch.float32, torch.float64)
    if not isinstance(dtype, torch.dtype) or dtype not in allowed:
        raise TypeError(
            f"dtype must be one of torch.bfloat16, torch.float16, torch.float32, torch.float64; got {dtype!r}"
        )
    return dtype


def angle_table(positions, dim: int, base: float = DEFAULT_BASE, dtype: torch.dtype = torch.float32
                ) -> torch.Tensor:
    """The angle table computed *entirely* in ``dtype``: shape ``(seq, dim // 2)``, dtype ``dtype``.

    This is what happens when a model's position ids and ``inv_freq`` buffer are cast to a
    low-precision dtype: the positions are rounded to ``dtype`` (bfloat16 keeps 8 significant
    bits, so 65535 becomes 65536), the frequencies are rounded, and the product is rounded
    again. With ``dtype=torch.float32`` it equals :func:`ropelab.angles`. Do not use a
    low-precision table for real work; it is here to be measured.
    """
    dtype = _check_dtype(dtype)
    dim = check_even_dim(dim, "dim")
    base = check_base(base)
    positions = as_positions(positions, "positions")
    freqs = inv_freq(dim, base).to(dtype)
    return torch.outer(positions.to(dtype), freqs)


def angle_error(positions, dim: int, base: float = DEFAULT_BASE, dtype: torch.dtype = torch.bfloat16,
                wrap: bool = False) -> torch.Tensor:
    """``|angle_table(dtype) - angle_table(float32)|``: float64 ``(seq, dim // 2)``.

    With ``wrap=True`` the difference is taken modulo ``2*pi`` (into ``[0, pi]``), which is
    what the rotation feels: an error of a whole turn is no error. Infinite or NaN angles
    (float16 overflows above 65504) give ``inf``.
    """
    if not isinstance(wrap, bool):
        raise TypeError(f"wrap must be True or False; got {wrap!r}")
    low = angle_table(positions, dim, base, dtype).double()
    ref = angle_table(positions, dim, base, torch.float32).double()
    diff = low - ref
    if wrap:
        diff = torch.remainder(diff + math.pi, 2 * math.pi) - math.pi
    err = diff.abs()
    return torch.where(torch.isfinite(err), err, torch.full_like(err, math.inf))


def cos_sin_table(positions, dim: int, base: float = DEFAULT_BASE, dtype: torch.dtype = torch.float32
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """The fix: angles in float32, then ``cos`` and ``sin`` rounded to ``dtype``.

    Returns ``(cos, sin)``, each ``(seq, dim // 2)`` in ``dtype``. cos and sin lie in
    ``[-1, 1]``, where bfloat16's absolute error is at most ``2**-9``; the angle itself never
    passes through ``dtype``. This is what ropelab does for every input dtype.
    """
    dtype = _check_dtype(dtype)
    positions = as_positions(positions, "positions")
    ang = check_angle_table(angle_table(positions, dim, base, torch.float32), positions)
    return torch.cos(ang).to(dtype), torch.sin(ang).to(dtype)


def distinct_positions(positions, dtype: torch.dtype) -> int:
    """How many distinct values ``positions`` keeps after rounding to ``dtype`` (inf counts once).

    Positions that round to the same value get identical angle rows, so the model cannot tell
    those tokens apart by position.
    """
    dtype = _check_dtype(dtype)
    positions = as_positions(positions, "positions")
    return int(torch.unique(positions.to(dtype).double()).numel())


def scores_at_distance(q, k, positions, distance: int = 16, base: float = DEFAULT_BASE,
                       dtype: torch.dtype = torch.float32, fixed: bool = False) -> torch.Tensor:
    """Attention score of ``q`` at position ``m`` with ``k`` at ``m - distance``, for every ``m``.

    ``q, k: (dim,)``; ``positions: (n,)``. Returns float64 ``(n,)``. In exact arithmetic
    every entry is the same number (the score depends only on the distance). The cos/sin
    tables come from :func:`angle_table` in ``dtype`` (``fixed=False``, the careless way)
    or from :func:`cos_sin_table` in ``dtype`` (``fixed=True``: float32 angles, cos/sin
    rounded to ``dtype``); everything after the table is float64, so the spread of the
    result is the table's doing alone. Interleaved layout.
    """
    q = check_tensor(q, "q", floating=True, ndim=1, shape_hint="(dim,)")
    k = check_tensor(k, "k", floating=True, ndim=1, shape_hint="(dim,)")
    if q.shape != k.shape:
        raise ValueError(f"q and k must have the same shape (dim,); got {tuple(q.shape)} and {tuple(k.shape)}")
    dim = check_even_dim(q.shape[0], "q.shape[0] (dim)")
    distance = check_int(distance, "distance")
    if not isinstance(fixed, bool):
        raise TypeError(f"fixed must be True or False; got {fixed!r}")
    positions = as_positions(positions, "positions")

    def table(pos):
        if fixed:
            cos, sin = cos_sin_table(pos, dim, base, dtype)
            return cos.double(), sin.double()
        ang = angle_table(pos, dim, base, dtype).double()
        return torch.cos(ang), torch.sin(ang)

    def rotate(v, cos, sin):
        a, b = v.double()[0::2], v.double()[1::2]
        return torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1).flatten(-2)

    rq = rotate(q, *table(positions))
    rk = rotate(k, *table(positions - distance))
    return (rq * rk).sum(-1)
