"""A trained GFlowNet's file: the policy's weights and a JSON-ready config.

``torch.save({"state_dict", "config"})`` with tensors and plain Python values only, read
back with ``torch.load(weights_only=True)`` (no pickle). The config holds the format
(:data:`FORMAT`), the policy's shape, the node names, the environment's masks, what
:meth:`~causalpost.samplers.gflownet.GFlowNetSampler.draw_posterior` needs to rebuild
the problem, the sampler's drawing options and the training summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from causalpost.errors import CausalpostError
from causalpost.samplers.gflownet.env import DAGEnv
from causalpost.samplers.gflownet.policy import NodePolicy

__all__ = ["FORMAT", "load_trained", "save_trained"]

FORMAT = "causalpost.gflownet/1"
_TRAIN_KEYS = ("n_steps", "train_seconds", "final_loss", "stop_reason")


def save_trained(path: str | Path, trained: dict[str, Any], options: dict[str, Any]) -> None:
    """Write a trained policy (``trained``: policy, env, history, nodes, problem) and the
    sampler ``options`` it is restored with."""
    env = trained["env"]
    config = {
        "format": FORMAT,
        "policy": trained["policy"].config(),
        "nodes": trained["nodes"],
        "allowed": env.allowed.cpu().numpy().astype(int).tolist(),
        "start": env.start.cpu().numpy().astype(int).tolist(),
        "max_parents": env.max_parents,
        "problem": trained["problem"],
        "options": options,
        "train": {k: trained["history"].get(k) for k in _TRAIN_KEYS},
    }
    state = {k: v.detach().cpu() for k, v in trained["policy"].state_dict().items()}
    torch.save({"state_dict": state, "config": config}, Path(path))


def load_trained(path: str | Path, device: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The trained policy of :func:`save_trained` on ``device``, and the file's config.

    Raises
    ------
    CausalpostError
        If the file is not a saved GFlowNet sampler.
    """
    saved = torch.load(Path(path), map_location="cpu", weights_only=True)
    config = saved.get("config", {}) if isinstance(saved, dict) else {}
    if config.get("format") != FORMAT:
        raise CausalpostError(f"{str(path)!r} is not a saved GFlowNet sampler ({FORMAT})")
    net = config["policy"]
    policy = NodePolicy(net["n_nodes"], net["width"], net["n_layers"], net["n_heads"])
    policy.load_state_dict(saved["state_dict"])
    policy.to(device).eval()
    env = DAGEnv(np.array(config["allowed"], bool), np.array(config["start"], bool),
                 config["max_parents"], device=device)
    trained = {"policy": policy, "env": env, "history": dict(config["train"]),
               "nodes": config["nodes"], "problem": config["problem"]}
    return trained, config
