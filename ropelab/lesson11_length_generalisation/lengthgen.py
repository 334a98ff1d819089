"""Lesson 11: length generalisation on the CPU, the same tiny decoder with seven position encodings.

Also ``ropelab.lengthgen``. Trained once by ``./lab train`` (``tools/train_lengthgen.py``); the
checkpoints ship in ``checkpoints/`` and :func:`load` reads them (it never downloads or trains).

The task (induction copy, 归纳复制)
-----------------------------------
A sequence is ``BOS x_1 .. x_n SEP x_1 .. x_n`` where ``x_1 .. x_n`` are *distinct* content
tokens drawn at random. After SEP the model must reproduce the first half: at SEP it must
output ``x_1``, and at the j-th token of the copy it must output ``x_{j+1}``. Only those n
predictions are scored (accuracy = share of them that are exactly right).

Why this task:

* order is essential: the set of tokens seen so far says nothing about which one comes
  *after* the current token; only their positions do.
* it has a solution that does not depend on length ("find the earlier copy of the current
  token and output the token right after it": a previous-token head plus an induction head),
  so a model trained on length L *could* in principle be right at 8L. Whether it is depends
  on how it encodes position, which is what the lesson is about.
* tokens are distinct, so the lookup is never ambiguous: errors are the model's, not the task's.
* it is easy enough that every variant learns it at the training length within a few minutes
  on one CPU thread.

During training the copy length n varies from sequence to sequence (the rest of each row is
PAD, ignored by the loss), so the distance between a token and its copy is not a constant the
model could memorise. ``length`` in the API is the total number of tokens ``2n + 2``; an
evaluation at ``length`` uses exactly ``n = (length - 2) // 2`` (the longest copy that fits).

The variants
------------
``nope``        no position encoding: the causal mask is the only source of order
``learned``     learned absolute embeddings added to the input, one row per trained position;
                positions past the table reuse its last row (there is nothing else to use)
``sinusoidal``  the fixed sin/cos table of Vaswani et al. added to the input
``alibi``       no embedding; a per-head bias ``-slope * distance`` on the attention logits
``rope``        RoPE on q and k, base 10000, half layout (as in Llama / transformers)
``rope_small``  RoPE with base ``SMALL_BASE``: every pair turns many times within L
``rope_pi``     ``rope`` fine-tuned briefly with position interpolation (Chen et al. 2023):
                linear factor ``PI_FACTOR`` at length ``PI_FACTOR * L``

Context extension at inference (RoPE variants only) uses ``ropelab.scaling.scaled_inv_freq``:
``method`` is one of ``linear`` (position interpolation), ``ntk``, ``dynamic``, ``yarn``.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import time
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..lesson08_long_context.scaling import scaled_inv_freq

__all__ = ["VARIANTS", "TRAIN_LENGTH", "METHODS", "CONFIG", "TrainConfig", "TinyDecoder",
           "make_batch", "build", "train", "save", "load", "checkpoint_path", "load_results",
           "evaluate", "metrics", "attention", "induction_score", "deterministic", "weights_digest",
           "LENGTHS", "SEEDS", "EXTENDED", "table_rows", "compute_results"]

# ---------------------------------------------------------------------------
# constants
# ---------------------------------------------------------------------------

TRAIN_LENGTH = 32                   # L: total tokens per training sequence (BOS + n + SEP + n)
N_CONTENT = 160                     # content tokens; > the longest copy evaluated (n = 127 at 8L)
BOS, SEP, PAD = N_CONTENT, N_CONTENT + 1, N_CONTENT + 2
VOCAB = N_CONTENT + 3
IGNORE = -100                       # target value the loss skips

ROPE_BASE = 10000.0
SMALL_BASE = 100.0
PI_FACTOR = 4                       # rope_pi: fine-tuned at PI_FACTOR * L with linear factor PI_FACTOR

# variant -> (position encoding, RoPE base)
_SPECS = {
    "nope": ("none", None),
    "learned": ("learned", None),
    "sinusoidal": ("sinusoidal", None),
    "alibi": ("alibi", None),
    "rope": ("rope", ROPE_BASE),
    "rope_small": ("rope", SMALL_BASE),
    "rope_pi": ("rope", ROPE_BASE),
}
VARIANTS = tuple(_SPECS)
SCRATCH_VARIANTS = VARIANTS[:-1]    # trained from scratch; rope_pi starts from rope
METHODS = ("linear", "ntk", "dynamic", "yarn")

CHECKPOINT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "checkpoints")
RESULTS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.json")
SEEDS = (0, 1, 2)                   # the seeds ./lab train trains and the checkpoints cover


@dataclass(frozen=True)
class TrainConfig:
    d_model: int = 64
    n_layers: int = 3
    n_heads: int = 4
    d_ff: int = 128
    embed_std: float = 1.0          # token (and learned position) embeddings ~ N(0, embed_std^2)
    batch_size: int = 32
    steps: int = 2000
    lr: float = 3e-3
    warmup: int = 100
    weight_decay: float = 0.0
    min_copy: int = 2               # shortest copy length n seen in training
    pi_steps: int = 1000            # rope_pi fine-tune steps at PI_FACTOR * L
    pi_lr: float = 1e-3
    pi_batch_size: int = 8          # fewer, longer sequences: about the same tokens per step


CONFIG = TrainConfig()


@contextlib.contextmanager
def deterministic():
    """One thread and deterministic kernels while inside: same seed, same bits.

    The previous thread count and determinism flag come back on exit, so calling
    :func:`train` from a notebook does not leave the kernel single-threaded.
    """
    threads, flag = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(flag)


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------

def _copy_len(length: int) -> int:
    if isinstance(length, bool) or not isinstance(length, int):
        raise TypeError(f"length must be an int; got {length!r}")
    if length < 4:
        raise ValueError(f"length must be at least 4 (BOS, one token, SEP, its copy); got {length}. "
                         f"The model was trained on length {TRAIN_LENGTH}; try {2 * TRAIN_LENGTH}")
    n = (length - 2) // 2
    if n > N_CONTENT:
        raise ValueError(f"length {length} needs {n} distinct tokens but there are only {N_CONTENT}")
    return n


def make_batch(batch_size: int, length: int, generator: torch.Generator,
               min_copy: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(tokens, targets)``, both int64 ``(batch_size, length)``.

    ``targets[b, t]`` is the token the model must predict after reading ``tokens[b, :t+1]``,
    or ``IGNORE`` where nothing is scored. With ``min_copy=None`` every row copies
    ``n = (length - 2) // 2`` tokens; otherwise n is drawn from ``[min_copy, that]`` per row
    and the row is padded with PAD.
    """
    n_max = _copy_len(length)
    tokens = torch.full((batch_size, length), PAD, dtype=torch.long)
    targets = torch.full((batch_size, length), IGNORE, dtype=torch.long)
    if min_copy is None:
        ns = torch.full((batch_size,), n_max, dtype=torch.long)
    else:
        ns = torch.randint(min_copy, n_max + 1, (batch_size,), generator=generator)
    # distinct content tokens per row: the first n of a random permutation
    perms = torch.argsort(torch.rand(batch_size, N_CONTENT, generator=generator), dim=1)
    for b in range(batch_size):
        n = int(ns[b])
        x = perms[b, :n]
        tokens[b, 0] = BOS
        tokens[b, 1:n + 1] = x
        tokens[b, n + 1] = SEP
        tokens[b, n + 2:2 * n + 2] = x
        # at SEP (t = n+1) predict x_1; at the j-th copy token predict x_{j+1}
        targets[b, n + 1:2 * n + 1] = x
    return tokens, targets


# ---------------------------------------------------------------------------
# the model
# ---------------------------------------------------------------------------

def sinusoidal_table(length: int, dim: int) -> torch.Tensor:
    """Vaswani et al.'s table ``(length, dim)``: sin on even, cos on odd features."""
    pos = torch.arange(length, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq)
    return table


def alibi_slopes(n_heads: int) -> torch.Tensor:
    """ALiBi's geometric slopes ``2 ** (-8 (h + 1) / n_heads)`` (Press et al. 2022)."""
    return torch.tensor([2.0 ** (-8.0 * (h + 1) / n_heads) for h in range(n_heads)])


def rotate_half(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """RoPE, half layout: pair ``i`` is ``(x[i], x[i + d/2])``. ``cos, sin: (seq, d/2)``."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)


class Block(nn.Module):
    """Pre-norm decoder block: x + attn(LN(x)), then x + MLP(LN(x))."""

    def __init__(self, cfg: TrainConfig):
        super().__init__()
        self.n_heads, self.head_dim = cfg.n_heads, cfg.d_model // cfg.n_heads
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.mlp = nn.Sequential(nn.Linear(cfg.d_model, cfg.d_ff), nn.GELU(), nn.Linear(cfg.d_ff, cfg.d_model))

    def forward(self, x, bias, rope=None, keep_attention=False):
        b, s, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, s, 3, self.n_heads, self.head_dim).unbind(2)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))           # (b, heads, s, head_dim)
        if rope is not None:
            cos, sin, scale = rope
            q, k = rotate_half(q, cos, sin) * scale, rotate_half(k, cos, sin) * scale
        if keep_attention:
            # spelled out, to keep the weights for plotting
            logits = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim) + bias
            weights = logits.softmax(-1)
            self.attention = weights
            out = weights @ v
        else:
            # the same computation, fused: about 7x faster at 256 tokens on the CPU
            self.attention = None
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        out = out.transpose(1, 2).reshape(b, s, d)
        x = x + self.proj(out)
        return x + self.mlp(self.ln2(x))


class TinyDecoder(nn.Module):
    """A small pre-norm causal decoder whose only difference between variants is position."""

    def __init__(self, variant: str, cfg: TrainConfig = CONFIG):
        super().__init__()
        self.variant = _check_variant(variant)
        self.kind, self.base = _SPECS[variant]
        self.cfg = cfg
        # linear factor baked into the frequencies (rope_pi after its fine-tune)
        self.rope_factor = 1.0
        self.trained_length = TRAIN_LENGTH
        self.embed = nn.Embedding(VOCAB, cfg.d_model)
        if self.kind == "learned":
            self.pos = nn.Embedding(TRAIN_LENGTH, cfg.d_model)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, VOCAB)
        self.register_buffer("slopes", alibi_slopes(cfg.n_heads), persistent=False)
        self.apply(self._init)

    def _init(self, m):
        # embeddings O(1) per feature, like the sinusoidal table they are added to (whose
        # features are sin/cos): with GPT-2's 0.02 the table drowns the tokens and the
        # sinusoidal model does not learn the task at all
        if isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=self.cfg.embed_std)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)

    def rope_tables(self, length: int, method: str | None = None, factor: float | None = None):
        """``(cos, sin, attention_factor)`` for positions ``0 .. length-1``, or None if not RoPE."""
        if self.kind != "rope":
            return None
        head_dim = self.cfg.d_model // self.cfg.n_heads
        if method is None:
            freqs, scale = scaled_inv_freq(head_dim, self.base, "default")
        else:
            freqs, scale = scaled_inv_freq(head_dim, self.base, method,
                                           **_method_params(method, factor, self.trained_length, length))
        freqs = freqs / self.rope_factor
        angles = torch.outer(torch.arange(length, dtype=torch.float32), freqs)
        return torch.cos(angles), torch.sin(angles), float(scale)

    def forward(self, tokens, method=None, factor=None, keep_attention=False):
        """Logits ``(batch, seq, VOCAB)``. ``method``/``factor``: RoPE context extension."""
        b, s = tokens.shape
        x = self.embed(tokens)
        if self.kind == "learned":
            x = x + self.pos(torch.arange(s).clamp(max=TRAIN_LENGTH - 1))
        elif self.kind == "sinusoidal":
            x = x + sinusoidal_table(s, self.cfg.d_model)
        causal = torch.ones(s, s, dtype=torch.bool).tril()
        bias = torch.zeros(s, s).masked_fill(~causal, float("-inf"))
        if self.kind == "alibi":
            distance = (torch.arange(s)[:, None] - torch.arange(s)[None, :]).clamp(min=0).float()
            bias = bias - self.slopes[:, None, None] * distance          # (heads, s, s)
        rope = self.rope_tables(s, method, factor)
        for block in self.blocks:
            x = block(x, bias, rope, keep_attention)
        return self.head(self.ln_f(x))


def _check_variant(variant) -> str:
    if not isinstance(variant, str):
        raise TypeError(f"variant must be a string, one of {', '.join(VARIANTS)}; got {variant!r}")
    if variant not in _SPECS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    return variant


def _method_params(method, factor, trained_length: int, length: int) -> dict:
    """The ``scaled_inv_freq`` parameters of ``method`` for a model trained on ``trained_length``."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)} (or None)")
    if factor is None:
        raise ValueError(f"method {method!r} needs a factor (e.g. evaluation length / trained length)")
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not math.isfinite(factor):
        raise TypeError(f"factor must be a finite number; got {factor!r}")
    if factor < 1:
        raise ValueError(f"factor must be >= 1 (new length / trained length); got {factor}")
    if method in ("linear", "ntk"):
        return {"factor": factor}
    if method == "dynamic":
        return {"factor": factor, "max_position_embeddings": trained_length, "seq_len": length}
    return {"factor": factor, "original_max_position_embeddings": trained_length}


# ---------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------

def build(variant: str, seed: int, cfg: TrainConfig = CONFIG) -> TinyDecoder:
    """A freshly initialised model; the initial weights depend only on ``seed``."""
    torch.manual_seed(seed)
    return TinyDecoder(variant, cfg)


def _lr_at(step: int, total: int, warmup: int, peak: float) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return peak * 0.5 * (1 + math.cos(math.pi * progress))


def _fit(model, *, steps, lr, warmup, batch_size, length, generator, min_copy):
    cfg = model.cfg
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=cfg.weight_decay)
    model.train()
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = _lr_at(step, steps, warmup, lr)
        tokens, targets = make_batch(batch_size, length, generator, min_copy=min_copy)
        logits = model(tokens)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1), ignore_index=IGNORE)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    model.eval()
    return model


def train(variant: str, seed: int, cfg: TrainConfig = CONFIG, base_model: TinyDecoder | None = None,
          verbose: bool = False) -> TinyDecoder:
    """Train ``variant`` from ``seed`` exactly as ``./lab train`` does; returns the model (eval mode).

    ``rope_pi`` trains ``rope`` from the same seed (or starts from ``base_model``, a trained
    ``rope`` model of that seed, to save the time) and fine-tunes it at ``PI_FACTOR * L``
    with the frequencies divided by ``PI_FACTOR``.
    """
    _check_variant(variant)
    _check_seed(seed)
    with deterministic():
        start, start_cpu = time.perf_counter(), time.process_time()
        if variant == "rope_pi":
            if base_model is None:
                base_model = train("rope", seed, cfg)
            model = TinyDecoder("rope_pi", cfg)
            model.load_state_dict(base_model.state_dict())
            model.rope_factor = float(PI_FACTOR)
            model.trained_length = PI_FACTOR * TRAIN_LENGTH
            gen = torch.Generator().manual_seed(10_000 + seed)   # fresh data, not the pre-training stream
            _fit(model, steps=cfg.pi_steps, lr=cfg.pi_lr, warmup=20, batch_size=cfg.pi_batch_size,
                 length=PI_FACTOR * TRAIN_LENGTH, generator=gen, min_copy=cfg.min_copy)
        else:
            model = build(variant, seed, cfg)
            gen = torch.Generator().manual_seed(seed)
            _fit(model, steps=cfg.steps, lr=cfg.lr, warmup=cfg.warmup, batch_size=cfg.batch_size,
                 length=TRAIN_LENGTH, generator=gen, min_copy=cfg.min_copy)
        # wall time depends on what else the machine runs; CPU time (one thread) much less so
        model.train_seconds = time.perf_counter() - start
        model.train_cpu_seconds = time.process_time() - start_cpu
    if verbose:
        print(f"{variant} seed {seed}: {model.train_seconds:.1f} s")
    return model


# ---------------------------------------------------------------------------
# checkpoints
# ---------------------------------------------------------------------------

def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise TypeError(f"seed must be a non-negative int; got {seed!r}")
    return seed


def checkpoint_path(variant: str, seed: int, directory: str | None = None) -> str:
    """Where the checkpoint of ``variant`` and ``seed`` lives (``<variant>_seed<seed>.pt``)."""
    _check_seed(seed)
    return os.path.join(directory or CHECKPOINT_DIR, f"{_check_variant(variant)}_seed{seed}.pt")


def save(model: TinyDecoder, seed: int, directory: str | None = None) -> str:
    """Save a float16 state_dict plus the few numbers needed to rebuild the model."""
    path = checkpoint_path(model.variant, seed, directory)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    state = {k: v.to(torch.float16) for k, v in model.state_dict().items()}
    torch.save({"variant": model.variant, "seed": seed, "config": asdict(model.cfg),
                "rope_factor": model.rope_factor, "trained_length": model.trained_length,
                "state_dict": state}, path)
    return path


def load(variant: str, seed: int, directory: str | None = None) -> TinyDecoder:
    """The committed checkpoint of ``variant`` and ``seed`` (float32, eval mode)."""
    path = checkpoint_path(variant, seed, directory)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint {path}: the shipped seeds are {SEEDS}; train it with "
                                f"./lab train --variants {variant} --seeds {seed} (or train({variant!r}, {seed}))")
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    model = TinyDecoder(variant, TrainConfig(**ckpt["config"]))
    model.load_state_dict({k: v.float() for k, v in ckpt["state_dict"].items()})
    model.rope_factor, model.trained_length = ckpt["rope_factor"], ckpt["trained_length"]
    return model.eval()


# ---------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------

def _check_eval(model, method, factor):
    if not isinstance(model, TinyDecoder):
        raise TypeError(f"model must be a lengthgen model (from load() or train()); got {type(model).__name__}")
    if method is None:
        if factor is not None:
            raise ValueError("factor given without a method")
        return
    if model.kind != "rope":
        raise ValueError(f"context-extension methods apply to RoPE models only, not {model.variant!r}")
    if model.variant == "rope_pi":
        raise ValueError("rope_pi already has linear interpolation built in; evaluate it with method=None")
    _method_params(method, factor, model.trained_length, model.trained_length)


@torch.no_grad()
def metrics(model: TinyDecoder, length: int, *, num_sequences: int = 200, seed: int = 0,
            method: str | None = None, factor: float | None = None, batch_size: int = 50) -> dict:
    """``{"accuracy", "loss"}`` on ``num_sequences`` fresh sequences of ``length`` drawn from ``seed``."""
    _copy_len(length)
    _check_eval(model, method, factor)
    if isinstance(num_sequences, bool) or not isinstance(num_sequences, int) or num_sequences < 1:
        raise ValueError(f"num_sequences must be a positive int; got {num_sequences!r}")
    _check_seed(seed)
    gen = torch.Generator().manual_seed(1_000_000 + seed)   # never the training stream
    model.eval()
    correct = total = 0
    loss_sum = 0.0
    done = 0
    while done < num_sequences:
        b = min(batch_size, num_sequences - done)
        tokens, targets = make_batch(b, length, gen)
        logits = model(tokens, method=method, factor=factor)
        mask = targets != IGNORE
        correct += int((logits.argmax(-1)[mask] == targets[mask]).sum())
        total += int(mask.sum())
        loss_sum += float(F.cross_entropy(logits[mask], targets[mask], reduction="sum"))
        done += b
    return {"accuracy": correct / total, "loss": loss_sum / total}


def evaluate(model: TinyDecoder, length: int, *, num_sequences: int = 200, seed: int = 0,
             method: str | None = None, factor: float | None = None) -> float:
    """Accuracy in [0, 1] on fresh sequences of ``length`` (see :func:`metrics`)."""
    return metrics(model, length, num_sequences=num_sequences, seed=seed, method=method,
                   factor=factor)["accuracy"]


@torch.no_grad()
def attention(model: TinyDecoder, length: int, *, layer: int, head: int, seed: int = 0,
              method: str | None = None, factor: float | None = None):
    """``(tokens, weights)`` for one sequence: weights ``(length, length)`` of one head."""
    _check_eval(model, method, factor)
    _copy_len(length)
    if not (0 <= layer < len(model.blocks)) or not (0 <= head < model.cfg.n_heads):
        raise ValueError(f"layer must be in 0..{len(model.blocks) - 1} and head in 0..{model.cfg.n_heads - 1}; "
                         f"got layer={layer}, head={head}")
    tokens, _ = make_batch(1, length, torch.Generator().manual_seed(1_000_000 + seed))
    model(tokens, method=method, factor=factor, keep_attention=True)
    weights = model.blocks[layer].attention[0, head]
    for block in model.blocks:
        block.attention = None
    return tokens[0], weights


@torch.no_grad()
def induction_score(model: TinyDecoder, length: int, *, layer: int, seed: int = 0,
                    num_sequences: int = 20, method=None, factor=None) -> torch.Tensor:
    """Per head of ``layer``: mean attention from copy token ``x_j`` (and SEP) to the source of its
    answer, ``x_{j+1}`` in the first half (BOS's successor for SEP). ``(n_heads,)``.

    An induction head puts almost all its weight there; it is how one head is picked to plot.
    """
    _check_eval(model, method, factor)
    n = _copy_len(length)
    tokens, _ = make_batch(num_sequences, length, torch.Generator().manual_seed(1_000_000 + seed))
    model(tokens, method=method, factor=factor, keep_attention=True)
    w = model.blocks[layer].attention                       # (b, heads, s, s)
    queries = torch.arange(n + 1, 2 * n + 1)                # SEP and copy tokens x_1 .. x_{n-1}
    sources = queries - n                                   # where x_{j+1} sits: position j + 1
    score = w[:, :, queries, sources].mean(dim=(0, 2))
    for block in model.blocks:
        block.attention = None
    return score


def weights_digest(model: TinyDecoder) -> str:
    """SHA-256 of the float32 weights, in state_dict order: equal digests = bit-identical."""
    h = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().contiguous().numpy().tobytes())
    return h.hexdigest()


def load_results(path: str | None = None) -> dict:
    """The committed table ``results.json`` written by ``./lab train`` (see ``tools/train_lengthgen.py``).

    ``{"lengths": [...], "seeds": [...], "num_sequences": N, "rows": {label: {"variant", "method",
    "accuracy": {length: [per seed]}, "loss": {length: [per seed]}}}}``; labels are the variant
    names and ``"rope + ntk"`` etc. for the context-extension methods (factor = length / L).
    """
    with open(path or RESULTS_PATH) as f:
        return json.load(f)


LENGTHS = (TRAIN_LENGTH, 2 * TRAIN_LENGTH, 4 * TRAIN_LENGTH, 8 * TRAIN_LENGTH)
EXTENDED = ("rope", "rope_small")    # the variants the context-extension methods are applied to


def table_rows() -> list[tuple[str, str, str | None]]:
    """``(label, variant, method)`` for every row of the results table."""
    rows = [(v, v, None) for v in VARIANTS]
    for v in EXTENDED:
        rows += [(f"{v} + {m}", v, m) for m in METHODS]
    return rows


def compute_results(seeds=SEEDS, *, num_sequences: int = 200, lengths=LENGTHS, directory: str | None = None,
                    progress: bool = False) -> dict:
    """Evaluate every shipped checkpoint with :func:`metrics` (eval seed 0): what ``results.json`` holds."""
    models = {(v, s): load(v, s, directory) for v in VARIANTS for s in seeds}
    rows = {}
    with deterministic():
        for label, variant, method in table_rows():
            acc, loss = {}, {}
            for length in lengths:
                factor = length / TRAIN_LENGTH if method else None
                ms = [metrics(models[variant, s], length, num_sequences=num_sequences, seed=0,
                              method=method, factor=factor) for s in seeds]
                acc[str(length)] = [round(m["accuracy"], 6) for m in ms]
                loss[str(length)] = [round(m["loss"], 4) for m in ms]
            rows[label] = {"variant": variant, "method": method, "accuracy": acc, "loss": loss}
            if progress:
                print(f"  {label:<22}" + " ".join(f"{100 * sum(a) / len(a):6.1f}" for a in acc.values()), flush=True)
    return {"train_length": TRAIN_LENGTH, "lengths": list(lengths), "seeds": list(seeds),
            "num_sequences": num_sequences, "eval_seed": 0, "rows": rows}
