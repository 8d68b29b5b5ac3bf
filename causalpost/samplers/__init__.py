"""Structure samplers, one name each, all returning a Posterior."""

from __future__ import annotations

from importlib import import_module

from causalpost.errors import CausalpostError
from causalpost.samplers._base import Sampler

__all__ = ["SAMPLERS", "get_sampler"]

# name -> (module, class); imported lazily so torch / causal-learn load only when used
SAMPLERS: dict[str, tuple[str, str]] = {
    "exact": ("causalpost.samplers.exact", "ExactSampler"),
    "mcmc": ("causalpost.samplers.structure_mcmc", "StructureMCMC"),
    "order": ("causalpost.samplers.order_mcmc", "OrderMCMC"),
    "partition": ("causalpost.samplers.partition_mcmc", "PartitionMCMC"),
    "bootstrap-pc": ("causalpost.samplers.bootstrap", "BootstrapPC"),
    "bootstrap-ges": ("causalpost.samplers.bootstrap", "BootstrapGES"),
    "gfn": ("causalpost.samplers.gflownet.sampler", "GFlowNetSampler"),
}


def get_sampler(name: str) -> type[Sampler]:
    """The sampler class registered under ``name``."""
    if name not in SAMPLERS:
        raise CausalpostError(f"unknown sampler {name!r}; choose from {sorted(SAMPLERS)}")
    module, cls = SAMPLERS[name]
    found: type[Sampler] = getattr(import_module(module), cls)
    return found
