"""Checks of the GFlowNet sampler's own options (the generic ones are in
:mod:`causalpost.samplers._base`): one clear line per bad value."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from causalpost.errors import CausalpostError

__all__ = ["check_budget", "check_device"]


def check_budget(name: str, value: Any) -> None:
    """A positive, finite number of seconds, or None (no budget)."""
    if value is None:
        return
    number = not isinstance(value, bool) and isinstance(value, int | float | np.number)
    if not number or not 0 < value < np.inf:
        raise CausalpostError(f"{name} must be a positive number, got {value!r}")


def check_device(name: str, value: Any) -> None:
    """A torch device this machine has."""
    try:
        device = torch.device(value)
    except (RuntimeError, TypeError) as err:
        raise CausalpostError(f"unknown torch {name} {value!r}") from err
    if device.type == "cuda" and not torch.cuda.is_available():
        raise CausalpostError(f"{name} {value!r}: this torch has no CUDA device "
                              "(torch.cuda.is_available() is False); use 'cpu'")
