"""The forward policy: a small transformer over node tokens with bilinear edge logits.

Each of the ``d`` nodes is one token (not one token per edge as in the
original DAG-GFlowNet, whose linear transformer runs over ``d ** 2`` edge
tokens). A token is the node's learned identity embedding plus a linear map
of its row and column of the adjacency and of the transitive closure
(children, parents, descendants, ancestors). A few pre-norm transformer
layers mix the tokens; the logit of edge ``i -> j`` is a bilinear form
``<W_s h_i, W_t h_j> / sqrt(width)`` plus a learned per-edge bias, and the
stop logit comes from an MLP on the mean-pooled tokens. Invalid actions are
masked before a single softmax over the ``d ** 2 + 1`` actions.

References
----------
Deleu, T., Nishikawa-Toomey, M., Subramanian, J., Malkin, N., Charlin, L. &
Bengio, Y. (2023). Joint Bayesian inference of graphical structure and
parameters with a single generative flow network. NeurIPS.
https://arxiv.org/abs/2305.19366
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["NodePolicy"]


class NodePolicy(nn.Module):
    """Node-level transformer policy over DAG states.

    Parameters
    ----------
    n_nodes : int
    width : int
        Token width.
    n_layers : int
        Transformer layers.
    n_heads : int
        Attention heads (must divide ``width``).
    generator : torch.Generator, optional
        CPU generator for the initial weights (no global random state used).

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> net = NodePolicy(3, width=16, n_layers=1, n_heads=2, generator=g)
    >>> adj = torch.zeros(2, 3, 3, dtype=torch.bool)
    >>> closure = torch.eye(3, dtype=torch.bool).expand(2, 3, 3)
    >>> mask = torch.ones(2, 10, dtype=torch.bool)
    >>> net(adj, closure, mask).exp().sum(1).round(decimals=4).tolist()
    [1.0, 1.0]
    """

    def __init__(
        self,
        n_nodes: int,
        width: int = 64,
        n_layers: int = 2,
        n_heads: int = 4,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.n_nodes = n_nodes
        self.width = width
        self.n_heads = n_heads
        self.node_embedding = nn.Parameter(torch.zeros(n_nodes, width))
        self.encode = nn.Linear(4 * n_nodes, width)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(width, n_heads, dim_feedforward=2 * width, dropout=0.0,
                                       batch_first=True, norm_first=True)
            for _ in range(n_layers)
        )
        self.norm = nn.LayerNorm(width)
        self.source = nn.Linear(width, width)
        self.target = nn.Linear(width, width)
        self.edge_bias = nn.Parameter(torch.zeros(n_nodes, n_nodes))
        self.stop = nn.Sequential(nn.Linear(width, width), nn.GELU(), nn.Linear(width, 1))
        _init_weights(self, generator)

    def forward(self, adj: torch.Tensor, closure: torch.Tensor,
                mask: torch.Tensor) -> torch.Tensor:
        """Log-probabilities of the actions, shape (batch, n_nodes ** 2 + 1).

        Parameters
        ----------
        adj, closure : torch.Tensor of bool, shape (batch, n_nodes, n_nodes)
        mask : torch.Tensor of bool, shape (batch, n_nodes ** 2 + 1)
            Valid actions; invalid ones get probability 0.
        """
        adj_f = adj.to(self.node_embedding.dtype)
        clo_f = closure.to(self.node_embedding.dtype)
        features = torch.cat([adj_f, adj_f.transpose(1, 2), clo_f, clo_f.transpose(1, 2)], -1)
        h = self.encode(features) + self.node_embedding
        for layer in self.layers:
            h = layer(h)
        h = self.norm(h)
        edges = self.source(h) @ self.target(h).transpose(1, 2) / math.sqrt(self.width)
        edges = edges + self.edge_bias
        stop = self.stop(h.mean(1))
        logits = torch.cat([edges.flatten(1), stop], dim=1)
        logits = logits.masked_fill(~mask, -torch.inf)
        return torch.log_softmax(logits, dim=1)

    def config(self) -> dict:
        """JSON-ready constructor arguments (without the generator)."""
        return {"n_nodes": self.n_nodes, "width": self.width, "n_layers": len(self.layers),
                "n_heads": self.n_heads if self.layers else 1}


def _init_weights(module: nn.Module, generator: torch.Generator | None) -> None:
    """Seeded re-initialisation: uniform(+-1/sqrt(fan_in)) matrices, zero biases."""
    with torch.no_grad():
        for name, param in module.named_parameters():
            if name == "node_embedding":
                param.normal_(0.0, 1.0, generator=generator)
            elif param.ndim >= 2 and name != "edge_bias":
                bound = 1.0 / math.sqrt(param.shape[1])
                param.uniform_(-bound, bound, generator=generator)
            elif "norm" in name and name.endswith("weight"):
                param.fill_(1.0)
            else:
                param.zero_()
