"""The posterior container every sampler returns.

A :class:`Posterior` holds draws-first arrays, as numpyro and dibs do: the
node names, a ``(n_draws, n_nodes, n_nodes)`` 0/1 adjacency stack
(``A[s, i, j] = 1`` means i -> j in draw s), normalized log-weights (equal
for Monte Carlo samplers, exact posterior probabilities for enumeration)
and parameter arrays with a leading draws axis. Files are ``.npz`` holding
only numeric and string arrays plus a JSON header, read with
``allow_pickle=False``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from causalpost import metrics
from causalpost._edge_estimate import edge_estimate
from causalpost._io import atomic_path
from causalpost._posterior_file import FORMAT, read_posterior_file, validate_posterior_arrays
from causalpost.diagnostics import Diagnostics
from causalpost.errors import CausalpostError
from causalpost.scores.draws import DiscreteDraws, LinearGaussianDraws, parameter_draws

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["Posterior", "RankedGraph"]


class RankedGraph(NamedTuple):
    """A distinct graph of the posterior with its total probability."""

    adjacency: np.ndarray
    probability: float

    def edges(self, nodes: tuple[str, ...]) -> list[tuple[str, str]]:
        """The edges as ``(source, target)`` name pairs."""
        return [(nodes[i], nodes[j]) for i, j in np.argwhere(self.adjacency)]


class Posterior:
    """Weighted draws of DAGs and their parameters.

    Parameters
    ----------
    nodes : sequence of str
    adjacency : numpy.ndarray, shape (n_draws, n_nodes, n_nodes)
    log_weights : numpy.ndarray, shape (n_draws,), optional
        Normalized here; equal weights by default.
    params : dict of str to numpy.ndarray, optional
        Parameter arrays, each with a leading ``n_draws`` axis.
    exact : bool
        True when the weights are exact posterior probabilities of an
        enumeration (no Monte Carlo error).
    info : dict, optional
        JSON-ready description: kinds, levels, score, prior, knowledge, sampler.
    diagnostics : Diagnostics or mapping, optional
        Sampler diagnostics (:class:`~causalpost.diagnostics.Diagnostics`; a mapping is
        converted): JSON-ready values, or numpy arrays (saved as arrays).

    Examples
    --------
    >>> import numpy as np
    >>> adj = np.array([[[0, 1], [0, 0]], [[0, 0], [1, 0]], [[0, 1], [0, 0]]])
    >>> post = Posterior(["A", "B"], adj)
    >>> post.edge_probs.loc["A", "B"].round(3)
    np.float64(0.667)
    >>> round(post.top_graphs(1)[0].probability, 3)
    0.667
    """

    def __init__(
        self,
        nodes: Iterable[str],
        adjacency: np.ndarray,
        log_weights: np.ndarray | None = None,
        params: dict[str, np.ndarray] | None = None,
        *,
        exact: bool = False,
        info: dict[str, Any] | None = None,
        diagnostics: Mapping[str, Any] | None = None,
    ) -> None:
        adjacency = np.asarray(adjacency)
        if adjacency.ndim != 3 or adjacency.shape[1] != adjacency.shape[2]:
            raise CausalpostError(f"adjacency must be (n_draws, d, d), got {adjacency.shape}")
        self.nodes = tuple(str(n) for n in nodes)
        if len(self.nodes) != adjacency.shape[1]:
            raise CausalpostError(f"{len(self.nodes)} names for {adjacency.shape[1]} nodes")
        if adjacency.shape[0] == 0:
            raise CausalpostError("a posterior needs at least one draw")
        self.adjacency = adjacency.astype(np.uint8)
        if log_weights is None:
            log_weights = np.zeros(adjacency.shape[0])
        log_weights = np.asarray(log_weights, dtype=np.float64)
        if log_weights.shape != (adjacency.shape[0],):
            raise CausalpostError("log_weights must have one entry per draw")
        total = logsumexp(log_weights)
        # renormalize only when needed, so a saved posterior loads bit for bit
        self.log_weights = log_weights - total if abs(total) > 1e-12 else log_weights
        self.params = {k: np.asarray(v) for k, v in (params or {}).items()}
        for key, value in self.params.items():
            if value.shape[:1] != (adjacency.shape[0],):
                raise CausalpostError(f"parameter {key!r} must have a leading n_draws axis")
        self.exact = bool(exact)
        self.info = dict(info or {})
        self.diagnostics = Diagnostics.from_mapping(diagnostics)
        for array in (self.adjacency, self.log_weights, *self.params.values()):
            array.setflags(write=False)
        self._unique: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def __repr__(self) -> str:
        kind = "exact" if self.exact else "sampled"
        nodes = list(self.nodes)
        shown = repr(nodes) if len(nodes) <= 8 else (
            f"[{', '.join(map(repr, nodes[:4]))}, ..., {nodes[-1]!r}] ({len(nodes)} nodes)")
        return (f"Posterior({kind}, n_draws={self.n_draws}, nodes={shown}, "
                f"sampler={self.info.get('sampler')!r})")

    @property
    def n_draws(self) -> int:
        """Number of draws (graphs, with repetition for Monte Carlo samplers)."""
        return int(self.adjacency.shape[0])

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    @property
    def weights(self) -> np.ndarray:
        """Normalized weights, shape (n_draws,)."""
        weights: np.ndarray = np.exp(self.log_weights)
        return weights

    @property
    def edge_prob_matrix(self) -> np.ndarray:
        """Posterior edge probabilities as a plain array, shape (n_nodes, n_nodes).

        The best estimate the sampler left behind (:mod:`causalpost._edge_estimate`):
        Rao-Blackwellised marginals for order and partition MCMC, the boundary share of
        an edge outside a restricted search space, else :attr:`draw_edge_frequencies`.
        """
        return edge_estimate(self.draw_edge_frequencies, self.diagnostics)

    @property
    def draw_edge_frequencies(self) -> np.ndarray:
        """Weighted frequency of each edge in the draws, shape (n_nodes, n_nodes)."""
        probs: np.ndarray = np.einsum("s,sij->ij", self.weights, self.adjacency)
        return probs

    @property
    def edge_probs(self) -> pd.DataFrame:
        """Posterior edge probabilities, labelled: ``edge_probs.loc[a, b]`` is P(a -> b)."""
        return pd.DataFrame(self.edge_prob_matrix, index=self.nodes, columns=self.nodes)

    @property
    def parameters(self) -> LinearGaussianDraws | DiscreteDraws | None:
        """The parameter draws, typed by family (None when the posterior carries none);
        views of the arrays in :attr:`params`, which holds them by name."""
        return parameter_draws(self.params, self.n_nodes)

    @property
    def effective_sample_size(self) -> float:
        """Kish's effective sample size of the weights, or ``inf`` for an exact posterior.

        Samplers that estimate autocorrelation store a smaller value in
        ``diagnostics["ess"]``, which takes precedence.
        """
        if self.exact:
            return float("inf")
        if "ess" in self.diagnostics:
            return float(self.diagnostics["ess"])
        return float(1.0 / np.sum(self.weights**2))

    def unique_graphs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Distinct graphs, their total probability (descending) and each draw's index.

        Returns
        -------
        graphs : numpy.ndarray, shape (n_unique, n_nodes, n_nodes)
        probabilities : numpy.ndarray, shape (n_unique,)
        inverse : numpy.ndarray, shape (n_draws,)
            ``graphs[inverse[s]]`` equals draw s.
        """
        if self._unique is None:
            flat = np.packbits(self.adjacency.reshape(self.n_draws, -1), axis=1)
            _, first, inverse = np.unique(flat, axis=0, return_index=True, return_inverse=True)
            inverse = inverse.ravel()
            probs = np.bincount(inverse, weights=self.weights, minlength=first.size)
            order = np.lexsort((first, -probs))
            rank = np.empty_like(order)
            rank[order] = np.arange(order.size)
            self._unique = (self.adjacency[first[order]], probs[order], rank[inverse])
        return self._unique

    def top_graphs(self, k: int = 5) -> list[RankedGraph]:
        """The ``k`` most probable distinct graphs, duplicates merged."""
        graphs, probs, _ = self.unique_graphs()
        return [RankedGraph(graphs[i], float(probs[i])) for i in range(min(k, len(probs)))]

    def map_graph(self) -> np.ndarray:
        """The most probable distinct graph, shape (n_nodes, n_nodes)."""
        return self.top_graphs(1)[0].adjacency

    def expected_shd(self, true_adjacency: np.ndarray) -> float:
        """Posterior expected structural Hamming distance to a true graph."""
        return metrics.expected_shd(self.adjacency, self.weights, true_adjacency)

    def edge_auroc(self, true_adjacency: np.ndarray) -> float:
        """Area under the ROC curve of the edge marginals for a true graph's edges."""
        return metrics.edge_auroc(self.edge_prob_matrix, true_adjacency)

    def to_networkx(self, i: int = 0) -> nx.DiGraph:
        """Draw ``i`` as a ``networkx.DiGraph`` with node names (and weights if continuous)."""
        import networkx as nx

        self._check_draw(i)
        graph = nx.DiGraph()
        graph.add_nodes_from(self.nodes)
        gaussian = self.parameters
        for a, b in np.argwhere(self.adjacency[i]):
            attrs = {}
            if isinstance(gaussian, LinearGaussianDraws):
                attrs["weight"] = gaussian.weight(i, a, b)
            graph.add_edge(self.nodes[a], self.nodes[b], **attrs)
        return graph

    def to_pgmpy(self, i: int = 0) -> Any:
        """Draw ``i`` with its parameters as a pgmpy Bayesian network.

        Returns a ``DiscreteBayesianNetwork`` with ``TabularCPD`` s for discrete
        data, a ``LinearGaussianBayesianNetwork`` for continuous data.
        """
        self._check_draw(i)
        parameters = self.parameters
        if parameters is None:
            raise CausalpostError("this posterior carries no parameters to build a pgmpy "
                                  "model from")
        return parameters.to_pgmpy(i, self.adjacency[i], self.nodes, self.info.get("levels"))

    def plot_edges(self, **kwargs: Any) -> Any:
        """Heatmap of the edge probabilities; see :func:`causalpost.plot.plot_edge_probs`."""
        from causalpost.plot import plot_edge_probs

        return plot_edge_probs(self, **kwargs)

    def plot_graph(self, **kwargs: Any) -> Any:
        """The posterior as one graph; see :func:`causalpost.plot.plot_posterior_graph`."""
        from causalpost.plot import plot_posterior_graph

        return plot_posterior_graph(self, **kwargs)

    def plot_top(self, k: int = 6, **kwargs: Any) -> Any:
        """The ``k`` most probable graphs; see :func:`causalpost.plot.plot_top_graphs`."""
        from causalpost.plot import plot_top_graphs

        return plot_top_graphs(self, k, **kwargs)

    def _check_draw(self, i: int) -> None:
        if not -self.n_draws <= i < self.n_draws:
            raise CausalpostError(f"draw {i} out of range: the posterior has {self.n_draws}")

    def save(self, path: str | Path) -> Path:
        """Write the posterior to an ``.npz`` file (no pickle); returns the path.

        The file is written atomically (a temporary file renamed into place) and
        holds no wall-clock time (the ``seconds``, ``*_seconds`` diagnostics stay
        in memory only), so the same seed and options give byte-identical files.
        """
        path = Path(path)
        arrays: dict[str, Any] = {"adjacency": self.adjacency, "log_weights": self.log_weights}
        arrays.update({f"param__{k}": v for k, v in self.params.items()})
        diag_json = {}
        for key, value in self.diagnostics.items():
            if _is_wall_clock(key):
                continue
            if isinstance(value, np.ndarray):
                arrays[f"diag__{key}"] = value
            else:
                diag_json[key] = value
        header = {"format": FORMAT, "nodes": list(self.nodes), "exact": self.exact,
                  "info": self.info, "diagnostics": diag_json}
        arrays["header"] = np.array(json.dumps(header, default=_json_default))
        with atomic_path(path) as tmp, tmp.open("wb") as fh:  # no partial file, ever
            np.savez_compressed(fh, **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path, *, max_bytes: int | None = None) -> Posterior:
        """Read a file written by :meth:`save`, checking it as strictly as a fresh fit.

        Parameters
        ----------
        path : str or Path
            A regular file (not a FIFO or device).
        max_bytes : int, optional
            Most uncompressed bytes the file may declare, checked in the zip and
            ``.npy`` headers before anything is allocated; default 1 GiB or the
            ``CAUSALPOST_MAX_POSTERIOR_BYTES`` environment variable.

        Raises
        ------
        CausalpostError
            If the file is missing, corrupt, too large, not a causalpost
            posterior, or holds an invalid posterior: a cyclic draw or self-loop,
            entries other than 0/1, weights that are not finite and normalised,
            names that are not unique strings, shapes that disagree, non-finite
            or unnormalised parameters.
        """
        header, arrays = read_posterior_file(path, max_bytes)
        shown = repr(str(path))
        if "adjacency" not in arrays or "log_weights" not in arrays:
            raise CausalpostError(f"{shown} is not a causalpost posterior file (no draws)")
        params = {k[7:]: v for k, v in arrays.items() if k.startswith("param__")}
        diagnostics = Diagnostics.from_mapping({
            **header.get("diagnostics", {}),
            **{k[6:]: v for k, v in arrays.items() if k.startswith("diag__")}})
        diagnostics.check_types(shown)
        info = header.get("info", {})
        validate_posterior_arrays(header["nodes"], arrays["adjacency"], arrays["log_weights"],
                                  params, info, diagnostics, where=shown)
        return cls(header["nodes"], arrays["adjacency"], arrays["log_weights"], params,
                   exact=header["exact"], info=info, diagnostics=diagnostics)


def _is_wall_clock(key: str) -> bool:
    """A measured time (``seconds``, ``train_seconds``, ``setup_seconds``...), never saved
    so that the same seed gives the same bytes; a budget (``max_seconds``) is kept."""
    return key == "seconds" or (key.endswith("_seconds") and not key.startswith("max_"))


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
