"""Checks of the GFlowNet sampler's options: one clear line per bad value."""

from __future__ import annotations

import numpy as np
import torch

from causalpost.errors import CausalpostError

__all__ = ["check_options"]


def check_options(sampler) -> None:
    """Check every option of a :class:`GFlowNetSampler`.

    Raises
    ------
    CausalpostError
        One line naming the first bad option and its value.
    """
    s = sampler
    for name in ("n_draws", "n_steps", "batch_size", "n_envs", "buffer_size", "width",
                 "n_layers", "n_heads"):
        _check_int(name, getattr(s, name), 1)
    for name in ("explore_steps", "temper_steps", "n_decays"):
        _check_int(name, getattr(s, name), 0)
    if s.patience is not None:
        _check_int("patience", s.patience, 1)
    if s.schedule not in ("plateau", "budget"):
        raise CausalpostError(f"schedule must be 'plateau' or 'budget', got {s.schedule!r}")
    for name, lo, hi in (("lr", 0.0, np.inf), ("loss_target", 0.0, np.inf),
                         ("lr_decay", 0.0, 1.0), ("temper_start", 0.0, 1.0)):
        value = getattr(s, name)
        if not _is_number(value) or not lo < value <= hi or not np.isfinite(value):
            raise CausalpostError(f"{name} must be a number in ({lo:g}, {hi:g}], got {value!r}")
    for name in ("epsilon_min", "guide"):
        value = getattr(s, name)
        if not _is_number(value) or not 0 <= value <= 1:
            raise CausalpostError(f"{name} must be in [0, 1], got {value!r}")
    if s.max_seconds is not None and (not _is_number(s.max_seconds)
                                      or not 0 < s.max_seconds < np.inf):
        raise CausalpostError(f"max_seconds must be a positive number, got {s.max_seconds!r}")
    if s.loss not in ("huber", "squared"):
        raise CausalpostError(f"loss must be 'huber' or 'squared', got {s.loss!r}")
    if s.width % s.n_heads:
        raise CausalpostError(f"width={s.width} must be a multiple of n_heads={s.n_heads}")
    if s.n_threads is not None and (not isinstance(s.n_threads, int) or s.n_threads < 1):
        raise CausalpostError(f"n_threads must be a positive integer or None, "
                              f"got {s.n_threads!r}")
    _check_device(s.device)


def _is_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float | np.number)


def _check_int(name: str, value, lo: int) -> None:
    """An integer option at least ``lo``, or a one-line error."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lo:
        kind = "positive" if lo == 1 else "non-negative"
        raise CausalpostError(f"{name} must be a {kind} integer, got {value!r}")


def _check_device(name: str) -> None:
    try:
        device = torch.device(name)
    except RuntimeError as err:
        raise CausalpostError(f"unknown torch device {name!r}") from err
    if device.type == "cuda" and not torch.cuda.is_available():
        raise CausalpostError(f"device {name!r}: this torch has no CUDA device "
                              "(torch.cuda.is_available() is False); use 'cpu'")
