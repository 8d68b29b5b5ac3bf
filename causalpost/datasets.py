"""Bundled data sets, each with its true causal graph.

Every loader returns a :class:`BenchmarkData` (as do the generators of random
DAGs and simulated SEMs, which live in :mod:`causalpost.synthetic`): a
:class:`~causalpost.data.Dataset`, the true graph as an ``(n_nodes, n_nodes)``
boolean adjacency matrix (``truth[i, j]`` means ``i -> j``) over the same node
names, and the name of that truth, so that every metric can say which graph it
was scored against. It unpacks as ``data, truth = load_sachs()``.

Everything is read from files in the repository's ``datasets/`` folder (or the
folder named by the ``CAUSALPOST_DATASETS`` environment variable); nothing is
downloaded. Each sub-folder carries a ``CARD.md`` with source, licence and how
the files were made.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from causalpost.data import Dataset, from_pandas
from causalpost.errors import DataError
from causalpost.synthetic import (
    BenchmarkData,
    _check_choice,
    _check_count,
    _continuous,
    _linear_sem,
    _topological_order,
)

__all__ = [
    "BIF_NETWORKS",
    "ENV_VAR",
    "EXAMPLES",
    "SACHS_NODES",
    "BenchmarkData",
    "datasets_dir",
    "discrete_from_bif",
    "load_bif_network",
    "load_example",
    "load_recommender",
    "load_sachs",
    "make_example_data",
    "make_recommender_data",
    "sample_bif",
]

ENV_VAR = "CAUSALPOST_DATASETS"
SACHS_NODES = ("Raf", "Mek", "Plcg", "PIP2", "PIP3", "Erk", "Akt", "PKA", "PKC", "P38", "Jnk")
BIF_NETWORKS = ("asia", "sachs", "child", "insurance", "alarm")
EXAMPLES = ("recommender", "fitness", "reward_tampering")
_SACHS_TRUTHS = {
    "consensus": "Sachs consensus graph (cdt, 18 edges)",
    "bif": "Sachs bnlearn network (sachs.bif, 17 arcs)",
}


def datasets_dir() -> Path:
    """The folder holding the bundled data files.

    ``$CAUSALPOST_DATASETS`` when set, else ``datasets/`` beside the package
    (the repository root of an editable install).

    Raises
    ------
    DataError
        If the folder does not exist.
    """
    override = os.environ.get(ENV_VAR)
    path = Path(override) if override else Path(__file__).resolve().parents[1] / "datasets"
    if not path.is_dir():
        origin = f"${ENV_VAR}" if override else "the default location"
        raise DataError(
            f"bundled data folder {str(path)!r} ({origin}) not found; set {ENV_VAR} to the "
            "datasets/ folder of a causalpost checkout"
        )
    return path


def load_sachs(
    kind: str = "observational", truth: str = "consensus", log: bool = False
) -> BenchmarkData:
    """Sachs et al. (2005) flow cytometry: 11 phosphoproteins in human T cells.

    Parameters
    ----------
    kind : {"observational", "full", "interventional"}
        ``"observational"``: the 853 cells of the CD3/CD28 condition;
        ``"full"``: all 7,466 cells pooled over 9 conditions, treated as
        observational; ``"interventional"``: the same cells with each
        condition's intervention target in the data's intervention mask
        (``interventional.csv``, column ``INT``; see the card).
    truth : {"consensus", "bif"}
        ``"consensus"``: the 18-edge consensus graph shipped by cdt, which is
        *not acyclic* (feedback loop PIP2 -> PIP3 -> Plcg -> PIP2);
        ``"bif"``: the 17 arcs (a DAG) of bnlearn's ``sachs.bif``. They differ
        by 7 in SHD (see ``datasets/sachs/CARD.md``).
    log : bool
        Return the natural logarithm of the (positive) concentrations.

    Returns
    -------
    BenchmarkData
        Continuous data over :data:`SACHS_NODES` and the chosen truth.

    References
    ----------
    Sachs, Perez, Pe'er, Lauffenburger, Nolan (2005). Causal protein-signaling
    networks derived from multiparameter single-cell data. Science 308(5721),
    523-529. https://doi.org/10.1126/science.1105809

    Examples
    --------
    >>> data, truth = load_sachs()
    >>> data.values.shape, int(truth.sum())
    ((853, 11), 18)
    """
    _check_choice("kind", kind, ("observational", "full", "interventional"))
    _check_choice("truth", truth, tuple(_SACHS_TRUTHS))
    frame = pd.read_csv(_file("sachs", f"{kind}.csv"), keep_default_na=False)
    targets = frame.pop("INT") if "INT" in frame.columns else None
    if log:
        frame = np.log(frame)
    kinds = dict.fromkeys(frame.columns, "continuous")
    if targets is not None:
        frame = frame.assign(INT=targets)
    data = from_pandas(frame, kinds=kinds,
                       intervention_column="INT" if targets is not None else None)
    adj = _adjacency(data.names, _read_edges(_file("sachs", f"{truth}_edges.csv")))
    return BenchmarkData(data, adj, _SACHS_TRUTHS[truth])


def load_bif_network(name: str) -> Any:
    """Read a bundled discrete network with pgmpy's BIF reader.

    Parameters
    ----------
    name : {"asia", "sachs", "child", "insurance", "alarm"}

    Returns
    -------
    pgmpy.models.DiscreteBayesianNetwork
        A fresh model (yours to modify).
    """
    _check_choice("name", name, BIF_NETWORKS)
    return _read_bif(_file("bif", f"{name}.bif"))[0]


def sample_bif(name: str, n_obs: int, seed: int | np.random.Generator) -> BenchmarkData:
    """Forward-sample discrete data from a bundled BIF network.

    Ancestral sampling from the network's conditional probability tables; the
    levels of each column are the BIF states in file order, so arities are
    complete even when a state does not occur in the sample.

    Parameters
    ----------
    name : {"asia", "sachs", "child", "insurance", "alarm"}
    n_obs : int
        Number of rows, at least 2.
    seed : int or numpy.random.Generator

    Returns
    -------
    BenchmarkData
        Discrete data (integer codes) and the network's graph.
    """
    _check_choice("name", name, BIF_NETWORKS)
    _check_count("n_obs", n_obs, 2)
    net = _compiled_bif(str(_file("bif", f"{name}.bif")))
    codes = np.zeros((n_obs, len(net.names)), dtype=np.int64)
    uniform = np.random.default_rng(seed).random(codes.shape)
    for j in net.order:
        index: tuple[Any, ...] = (slice(None), *(codes[:, p] for p in net.parents[j]))
        table = net.tables[j][index]
        cdf = np.cumsum(table.reshape(len(table), -1), axis=0)  # (arity, n_obs or 1)
        codes[:, j] = np.minimum((uniform[:, j] > cdf / cdf[-1]).sum(axis=0), len(table) - 1)
    data = Dataset(codes.astype(np.float64), net.names, ("discrete",) * len(net.names), net.levels)
    return BenchmarkData(
        data, net.truth.copy(), f"{name} BIF network ({int(net.truth.sum())} arcs)"
    )


discrete_from_bif = sample_bif


def make_example_data(
    name: str,
    n_obs: int | None = None,
    seed: int | None = None,
    do: str | None = None,
) -> BenchmarkData:
    """Simulate a bundled example's linear-Gaussian SEM (``datasets/NAME/sem.json``).

    Parameters
    ----------
    name : {"recommender", "fitness", "reward_tampering"}
    n_obs, seed : int, optional
        Default to the values in ``sem.json``, which reproduce the shipped CSV.
    do : str, optional
        A node to intervene on (a perfect intervention): its mechanism is
        replaced by standard normal values, and the returned data carry the
        intervention mask (every row intervened on ``do``).

    Returns
    -------
    BenchmarkData
        Values rounded as in ``sem.json``; ``weights`` are the SEM's.

    Examples
    --------
    >>> data, truth = make_example_data("recommender", n_obs=50, seed=1, do="Opinion")
    >>> int(data.intervention[:, data.index("Opinion")].sum())
    50
    """
    spec = _read_sem(name)
    n_obs = spec["n_obs"] if n_obs is None else n_obs
    _check_count("n_obs", n_obs, 2)
    names = tuple(node["name"] for node in spec["nodes"])
    noise = np.array([node["noise_sd"] for node in spec["nodes"]], dtype=float)
    adj, weights = _sem_graph(names, spec["edges"])
    rng = np.random.default_rng(spec["seed"] if seed is None else seed)
    forced, mask = None, None
    if do is not None:
        _check_choice("do", do, names)
        target = names.index(do)
        forced = {target: rng.normal(size=n_obs)}
        mask = np.zeros((n_obs, len(names)), dtype=bool)
        mask[:, target] = True
    values = np.round(_linear_sem(adj, weights, noise, n_obs, rng, forced), spec["decimals"])
    data = _continuous(values, names)
    if mask is not None:
        data = Dataset(data.values, data.names, data.kinds, data.levels, mask)
    return BenchmarkData(data, adj, f"{name} SEM graph", weights)


def load_example(name: str) -> BenchmarkData:
    """Load a bundled example's CSV (``datasets/NAME/NAME.csv``) with its SEM graph.

    Examples
    --------
    >>> data, truth = load_example("recommender")
    >>> data.names
    ('Age', 'History', 'Interest', 'Clicks', 'Opinion', 'TimeOnSite')
    """
    spec = _read_sem(name)
    frame = pd.read_csv(_file(name, f"{name}.csv"))
    data = from_pandas(frame, kinds=dict.fromkeys(frame.columns, "continuous"))
    adj, weights = _sem_graph(data.names, spec["edges"])
    return BenchmarkData(data, adj, f"{name} SEM graph", weights)


def make_recommender_data(seed: int | None = None, n_obs: int | None = None) -> BenchmarkData:
    """Simulate the recommender SEM; the defaults reproduce ``recommender.csv``."""
    return make_example_data("recommender", n_obs=n_obs, seed=seed)


def load_recommender() -> BenchmarkData:
    """The bundled recommender data (500 rows, 6 columns) and its true graph."""
    return load_example("recommender")


# ---------------------------------------------------------------- helpers


def _file(*parts: str) -> Path:
    path = datasets_dir().joinpath(*parts)
    if not path.is_file():
        raise DataError(f"bundled file {str(path)!r} is missing")
    return path


def _read_edges(path: Path) -> list[tuple[str, str]]:
    with path.open(newline="") as fh:
        return [(row["cause"], row["effect"]) for row in csv.DictReader(fh)]


def _adjacency(names: Sequence[str], edges: Sequence[Sequence[Any]]) -> np.ndarray:
    index = {name: i for i, name in enumerate(names)}
    adj = np.zeros((len(names), len(names)), dtype=bool)
    for cause, effect, *_ in edges:
        if cause not in index or effect not in index:
            raise DataError(f"edge {cause} -> {effect} names a node not in {list(names)}")
        adj[index[cause], index[effect]] = True
    return adj


@dataclass(frozen=True)
class _Network:
    names: tuple[str, ...]
    levels: tuple[tuple[str, ...], ...]
    parents: tuple[tuple[int, ...], ...]
    tables: tuple[np.ndarray, ...]  # node j: shape (arity_j, *parent arities)
    order: tuple[int, ...]
    truth: np.ndarray


def _read_bif(path: Path) -> tuple[Any, list[str]]:
    """pgmpy model and node names in file order, with pgmpy's chatter silenced."""
    logger = logging.getLogger("pgmpy")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", (FutureWarning, DeprecationWarning, UserWarning))
            from pgmpy.readwrite import BIFReader

            reader = BIFReader(path=str(path))
            return reader.get_model(), list(reader.variable_names)
    finally:
        logger.setLevel(level)


@lru_cache(maxsize=16)
def _compiled_bif(path: str) -> _Network:
    model, names = _read_bif(Path(path))
    index = {name: i for i, name in enumerate(names)}
    levels, parents, tables = [], [], []
    for name in names:
        cpd = model.get_cpds(name)
        levels.append(tuple(str(s) for s in cpd.state_names[name]))
        parents.append(tuple(index[p] for p in cpd.variables[1:]))
        table = np.array(cpd.values, dtype=np.float64)
        table.setflags(write=False)
        tables.append(table)
    truth = np.zeros((len(names), len(names)), dtype=bool)
    for j, node_parents in enumerate(parents):
        truth[list(node_parents), j] = True
    truth.setflags(write=False)
    order = tuple(_topological_order(truth))
    return _Network(tuple(names), tuple(levels), tuple(parents), tuple(tables), order, truth)


def _read_sem(name: str) -> dict[str, Any]:
    _check_choice("name", name, EXAMPLES)
    with _file(name, "sem.json").open() as fh:
        return json.load(fh)


def _sem_graph(
    names: Sequence[str], edges: Sequence[Sequence[Any]]
) -> tuple[np.ndarray, np.ndarray]:
    adj = _adjacency(names, edges)
    weights = np.zeros(adj.shape)
    for cause, effect, weight in edges:
        weights[names.index(cause), names.index(effect)] = weight
    return adj, weights
