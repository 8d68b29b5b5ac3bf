"""The DAG-building environment of DAG-GFlowNet: batched states, masks, rewards.

A state is a DAG held as a ``(batch, n_nodes, n_nodes)`` boolean adjacency
(``adj[b, i, j]`` means ``i -> j``) together with its reflexive transitive
closure ``closure[b, i, j]`` (``i == j`` or a directed path ``i -> ... -> j``).
An action adds one edge ``i -> j`` (action index ``i * n_nodes + j``) or stops
(action index ``n_nodes ** 2``). Adding ``i -> j`` keeps the graph acyclic iff
``j`` is not an ancestor of ``i``, i.e. ``closure[j, i]`` is false; the closure
is then updated by one outer product, ``closure |= closure[:, i] x closure[j, :]``
(O(d^2) per step, no matrix powers).

Every state is terminal; the log-reward of a DAG is its log score in the
cached :class:`~causalpost.scores.ScoreTable` (log marginal likelihood + log
modular prior), so the log-reward difference of one step is one local-score
difference, read from the table: the network never sees the data.

Background knowledge and the table's limits are honoured by masking: an
edge ``i -> j`` is allowed only if ``i`` is one of node ``j``'s candidate
parents in the table (forbidden edges and tiers are excluded there) and
``j`` has fewer than ``max_parents`` parents. Required edges are honoured by
starting every trajectory from the graph of required edges; edges are only
ever added, so every state contains them and the backward policy only
removes the other edges.

References
----------
Deleu, T., Gois, A., Emezue, C., Rankawat, M., Lacoste-Julien, S., Bauer, S.
& Bengio, Y. (2022). Bayesian structure learning with generative flow
networks. UAI. https://arxiv.org/abs/2202.13903
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from causalpost.scores import ScoreTable

__all__ = ["DAGEnv", "DAGStates"]

_PAD = torch.iinfo(torch.int64).max


@dataclass
class DAGStates:
    """A batch of DAG states (tensors on the environment's device).

    Attributes
    ----------
    adj : torch.Tensor of bool, shape (batch, n_nodes, n_nodes)
    closure : torch.Tensor of bool, shape (batch, n_nodes, n_nodes)
        Reflexive transitive closure: ``closure[b, i, j]`` iff ``i`` reaches ``j``.
    """

    adj: torch.Tensor
    closure: torch.Tensor

    def __len__(self) -> int:
        return self.adj.shape[0]

    def index(self, rows: torch.Tensor) -> DAGStates:
        """The sub-batch at ``rows``."""
        return DAGStates(self.adj[rows], self.closure[rows])


class DAGEnv:
    """Batched DAG-building environment over one score table.

    Parameters
    ----------
    allowed : numpy.ndarray of bool, shape (n_nodes, n_nodes)
        Edges that may ever be added (``allowed[i, j]`` for ``i -> j``).
    start : numpy.ndarray of bool, shape (n_nodes, n_nodes)
        The initial DAG (the required edges).
    max_parents : int
    table : ScoreTable, optional
        Needed for rewards (training); sampling a trained policy does not.
    device : str or torch.device

    Examples
    --------
    >>> import numpy as np
    >>> env = DAGEnv(~np.eye(3, dtype=bool), np.zeros((3, 3), bool), 2)
    >>> s = env.reset(1)
    >>> s = env.step(s, torch.tensor([0 * 3 + 1]))  # add 0 -> 1
    >>> env.valid_actions(s)[0, 1 * 3 + 0].item()   # 1 -> 0 would close a cycle
    False
    """

    def __init__(
        self,
        allowed: np.ndarray,
        start: np.ndarray,
        max_parents: int,
        table: ScoreTable | None = None,
        device: str | torch.device = "cpu",
    ) -> None:
        self.device = torch.device(device)
        self.n_nodes = int(allowed.shape[0])
        self.max_parents = int(max_parents)
        self.allowed = torch.as_tensor(np.asarray(allowed, bool) & ~np.asarray(start, bool),
                                       device=self.device)
        self.start = torch.as_tensor(np.asarray(start, bool), device=self.device)
        self.start_closure = _closure(self.start)
        self.n_actions = self.n_nodes**2 + 1
        self._bits = torch.ones(self.n_nodes, dtype=torch.int64, device=self.device) << \
            torch.arange(self.n_nodes, device=self.device)
        self._keys = self._vals = None
        if table is not None:
            self._keys, self._vals = _lookup_tables(table, self.device)

    @classmethod
    def from_table(cls, table: ScoreTable, start: np.ndarray,
                   device: str | torch.device = "cpu") -> DAGEnv:
        """The environment whose allowed edges are the table's candidate parents."""
        allowed = np.zeros((table.n_nodes, table.n_nodes), dtype=bool)
        for node, cand in enumerate(table.candidates):
            allowed[cand, node] = True
        np.fill_diagonal(allowed, False)
        return cls(allowed, start, table.max_parents, table, device)

    def reset(self, batch: int) -> DAGStates:
        """``batch`` copies of the start state."""
        return DAGStates(self.start.expand(batch, -1, -1).clone(),
                         self.start_closure.expand(batch, -1, -1).clone())

    def valid_actions(self, states: DAGStates) -> torch.Tensor:
        """Mask of valid actions, shape (batch, n_nodes ** 2 + 1); stop is always valid."""
        full = states.adj.sum(1) >= self.max_parents  # (batch, n_nodes) targets
        edges = self.allowed & ~states.adj & ~states.closure.transpose(1, 2) & ~full[:, None, :]
        stop = torch.ones(len(states), 1, dtype=torch.bool, device=self.device)
        return torch.cat([edges.reshape(len(states), -1), stop], dim=1)

    def step(self, states: DAGStates, actions: torch.Tensor) -> DAGStates:
        """Add edge ``actions // n_nodes -> actions % n_nodes`` (no change where stop)."""
        d = self.n_nodes
        add = actions < d * d
        src = torch.where(add, actions // d, 0)
        dst = torch.where(add, actions % d, 0)
        rows = torch.arange(len(states), device=self.device)
        adj = states.adj.clone()
        adj[rows, src, dst] |= add
        into_src = states.closure[rows, :, src] & add[:, None]  # nodes reaching src
        from_dst = states.closure[rows, dst, :]  # nodes reached from dst
        closure = states.closure | (into_src[:, :, None] & from_dst[:, None, :])
        return DAGStates(adj, closure)

    def parent_masks(self, adj: torch.Tensor) -> torch.Tensor:
        """Parent bit masks, shape (batch, n_nodes): bit i of ``masks[b, j]`` iff i -> j."""
        return (adj.long() * self._bits[None, :, None]).sum(1)

    def local_scores(self, masks: torch.Tensor) -> torch.Tensor:
        """Table scores of parent masks, shape (batch, n_nodes); -inf if not in the table."""
        keys, vals = self._require_table()
        query = masks.T.contiguous()  # (n_nodes, batch)
        pos = torch.searchsorted(keys, query).clamp(max=keys.shape[1] - 1)
        found = keys.gather(1, pos) == query
        out = torch.where(found, vals.gather(1, pos), torch.full_like(vals[:, :1], -torch.inf))
        return out.T

    def delta_scores(self, states: DAGStates, actions: torch.Tensor) -> torch.Tensor:
        """log R(G + edge) - log R(G) for edge actions (0 for stop), shape (batch,)."""
        d = self.n_nodes
        add = actions < d * d
        src = torch.where(add, actions // d, 0)
        dst = torch.where(add, actions % d, 0)
        rows = torch.arange(len(states), device=self.device)
        masks = self.parent_masks(states.adj)[rows, dst]
        before = self._score_of(dst, masks)
        after = self._score_of(dst, masks | self._bits[src])
        return torch.where(add, after - before, torch.zeros_like(before)).float()

    def edge_deltas(self, states: DAGStates) -> torch.Tensor:
        """log R(G + i -> j) - log R(G) for every edge, shape (batch, n_nodes ** 2).

        Entries of edges already present are 0; of parent sets not in the table,
        -inf. Combine with :meth:`valid_actions` before use.
        """
        keys, vals = self._require_table()
        d, b = self.n_nodes, len(states)
        masks = self.parent_masks(states.adj)  # (batch, target j)
        grown = masks[:, None, :] | self._bits[None, :, None]  # (batch, source i, target j)
        query = grown.permute(2, 0, 1).reshape(d, b * d).contiguous()  # per target node
        pos = torch.searchsorted(keys, query).clamp(max=keys.shape[1] - 1)
        found = keys.gather(1, pos) == query
        after = torch.where(found, vals.gather(1, pos), -torch.inf).reshape(d, b, d)
        before = self.local_scores(masks)  # (batch, target j)
        return (after.permute(1, 2, 0) - before[:, None, :]).reshape(b, d * d).float()

    def n_removable(self, adj: torch.Tensor) -> torch.Tensor:
        """Edges the backward policy may remove (all but the start's), shape (batch,)."""
        return (adj & ~self.start).sum((1, 2))

    def _score_of(self, nodes: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """Table score of parent mask ``masks[b]`` of node ``nodes[b]``, shape (batch,)."""
        keys, vals = self._require_table()
        query = masks[None, :].expand(keys.shape[0], -1).contiguous()
        cols = torch.arange(masks.shape[0], device=self.device)
        pos = torch.searchsorted(keys, query)[nodes, cols].clamp(max=keys.shape[1] - 1)
        found = keys[nodes, pos] == masks
        return torch.where(found, vals[nodes, pos], -torch.inf)

    def _require_table(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self._keys is None or self._vals is None:
            raise RuntimeError("this environment has no score table")
        return self._keys, self._vals


def _closure(adj: torch.Tensor) -> torch.Tensor:
    """Reflexive transitive closure of one DAG (Warshall), shape (n_nodes, n_nodes)."""
    n = adj.shape[-1]
    closure = adj.clone() | torch.eye(n, dtype=torch.bool, device=adj.device)
    for k in range(n):
        closure |= closure[:, k, None] & closure[None, k, :]
    return closure


def _lookup_tables(table: ScoreTable, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Per node, sorted global parent masks and their scores, padded to one width."""
    width = max(m.size for m in table.masks)
    keys = np.full((table.n_nodes, width), _PAD, dtype=np.int64)
    vals = np.full((table.n_nodes, width), -np.inf)
    for node in range(table.n_nodes):
        glob = table.global_masks(node)
        order = np.argsort(glob, kind="stable")
        keys[node, : glob.size] = glob[order]
        vals[node, : glob.size] = table.scores[node][order]
    return (torch.as_tensor(keys, device=device),
            torch.as_tensor(vals, dtype=torch.float64, device=device))
