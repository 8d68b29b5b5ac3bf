"""Reading an untrusted posterior ``.npz`` file, and checking what it holds.

A posterior file is a zip of ``.npy`` members plus a JSON header. Nothing in
it is trusted: before any array is allocated, the sizes the zip directory
and each ``.npy`` header *declare* are checked against a limit
(:data:`MAX_BYTES`, or the ``CAUSALPOST_MAX_POSTERIOR_BYTES`` environment
variable), so a small file cannot inflate to gigabytes; then the arrays are
checked as strictly as a freshly fitted posterior is built: 0/1 acyclic
draws without self-loops, finite normalised log-weights, unique string
names, shapes that agree, finite parameters (normalised CPT rows, positive
noise variances). Every failure is one :class:`CausalpostError` line.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import logsumexp

from causalpost._io import check_input_file
from causalpost.errors import CausalpostError
from causalpost.graphs import is_acyclic

__all__ = ["FORMAT", "FORMATS_READ", "MAX_BYTES", "read_posterior_file",
           "validate_posterior_arrays"]

# the header's "format"; Posterior.save writes the newest. /2: the diagnostics are typed
# (causalpost.diagnostics.Diagnostics; each declared value of its JSON type, checked on
# load); /1 files hold the same layout and load the same way.
FORMAT = "causalpost.posterior/2"
FORMATS_READ = ("causalpost.posterior/1", FORMAT)
_FAMILY = "causalpost.posterior/"
MAX_BYTES = 2**30  # uncompressed bytes a posterior file may declare (1 GiB)
MAX_MEMBERS = 10_000
MAX_HEADER_CHARS = 10_000_000
_NUMERIC = "biuf"


def max_bytes_default() -> int:
    """The size limit: ``CAUSALPOST_MAX_POSTERIOR_BYTES`` if set, else :data:`MAX_BYTES`."""
    value = os.environ.get("CAUSALPOST_MAX_POSTERIOR_BYTES")
    if value is None:
        return MAX_BYTES
    try:
        return int(value)
    except ValueError:
        raise CausalpostError(
            f"CAUSALPOST_MAX_POSTERIOR_BYTES must be an integer, got {value!r}") from None


def read_posterior_file(
    path: str | Path, max_bytes: int | None = None
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The checked JSON header and the arrays of a posterior file.

    Raises
    ------
    CausalpostError
        If the file is missing or not a regular file, is not a zip of ``.npy``
        members, declares more than ``max_bytes`` uncompressed bytes, or holds
        a malformed header.
    """
    path = check_input_file(path, "posterior")
    limit = max_bytes_default() if max_bytes is None else int(max_bytes)
    shown = repr(str(path))
    try:
        with zipfile.ZipFile(path) as archive:
            infos = _check_directory(archive, shown, limit)
            arrays = {info.filename[:-4]: _read_member(archive, info, shown) for info in infos}
    except CausalpostError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, NotImplementedError) as exc:
        raise CausalpostError(
            f"{shown} is not a causalpost posterior file ({type(exc).__name__})") from None
    return _parse_header(arrays, shown), arrays


def _check_directory(archive: zipfile.ZipFile, shown: str, limit: int) -> list[zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise CausalpostError(f"{shown} has {len(infos)} members; a posterior has far fewer")
    names = [info.filename for info in infos]
    if len(set(names)) != len(names) or not all(n.endswith(".npy") for n in names):
        raise CausalpostError(f"{shown} is not a causalpost posterior file (unexpected members)")
    declared = sum(info.file_size for info in infos)
    if declared > limit:
        raise CausalpostError(
            f"{shown} declares {declared:,} bytes of arrays, more than the limit of "
            f"{limit:,}; if you trust the file, raise CAUSALPOST_MAX_POSTERIOR_BYTES")
    return infos


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str) -> np.ndarray:
    key = info.filename[:-4]
    with archive.open(info) as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            raise CausalpostError(f"{shown}: array {key!r} has unsupported .npy version {version}")
        if dtype.hasobject or dtype.fields is not None or dtype.kind not in _NUMERIC + "U":
            raise CausalpostError(
                f"{shown} is not a causalpost posterior file (array {key!r} of type {dtype})")
        n_bytes = math.prod(shape) * dtype.itemsize
        if n_bytes > info.file_size:
            raise CausalpostError(
                f"{shown}: array {key!r} declares shape {shape} ({n_bytes:,} bytes) but the "
                f"file holds {info.file_size:,}")
    with archive.open(info) as fh:
        return np.lib.format.read_array(fh, allow_pickle=False)


def _parse_header(arrays: dict[str, np.ndarray], shown: str) -> dict[str, Any]:
    raw = arrays.pop("header", None)
    if raw is None or raw.dtype.kind != "U" or raw.shape != ():
        raise CausalpostError(f"{shown} is not a causalpost posterior file (no header)")
    text = str(raw)
    if len(text) > MAX_HEADER_CHARS:
        raise CausalpostError(f"{shown}: header of {len(text):,} characters is too long")
    try:
        header = json.loads(text)
    except RecursionError:
        raise CausalpostError(f"{shown}: header JSON is nested too deeply") from None
    except ValueError as exc:
        raise CausalpostError(f"{shown}: header is not valid JSON ({exc})") from None
    if not isinstance(header, dict) or header.get("format") not in FORMATS_READ:
        found = header.get("format") if isinstance(header, dict) else None
        if isinstance(found, str) and found.startswith(_FAMILY):
            raise CausalpostError(
                f"{shown} is a causalpost posterior file of format {found!r}, written by a "
                f"newer causalpost; this one reads {' and '.join(FORMATS_READ)}: upgrade "
                "causalpost")
        raise CausalpostError(f"{shown} is not a causalpost posterior file")
    nodes = header.get("nodes")
    if not isinstance(nodes, list) or not nodes:
        raise CausalpostError(f"{shown}: header 'nodes' must be a non-empty list of names")
    for name in nodes:
        if not isinstance(name, str) or not name.strip():
            raise CausalpostError(f"{shown}: node name {name!r} is not a non-empty string")
    if len(set(nodes)) != len(nodes):
        raise CausalpostError(f"{shown}: node names are not unique")
    if not isinstance(header.get("exact"), bool):
        raise CausalpostError(f"{shown}: header 'exact' must be true or false")
    for key in ("info", "diagnostics"):
        if not isinstance(header.get(key, {}), dict):
            raise CausalpostError(f"{shown}: header {key!r} must be a JSON object")
    unknown = sorted(k for k in arrays if k not in ("adjacency", "log_weights")
                     and not k.startswith(("param__", "diag__")))
    if unknown:
        raise CausalpostError(f"{shown}: unexpected array {unknown[0]!r}")
    return header


def validate_posterior_arrays(
    nodes: list[str],
    adjacency: np.ndarray,
    log_weights: np.ndarray,
    params: dict[str, np.ndarray],
    info: dict[str, Any],
    diagnostics: Mapping[str, Any],
    where: str = "posterior",
) -> None:
    """Raise ``CausalpostError`` unless the arrays form a valid posterior.

    Checks what every sampler guarantees: ``adjacency`` of shape
    ``(n_draws, n_nodes, n_nodes)`` with 0/1 entries, no self-loop and no
    cycle; finite (or ``-inf``) log-weights of shape ``(n_draws,)`` summing
    to probability 1; parameter arrays with a leading ``n_draws`` axis, the
    known ones finite and consistent with the draws; ``draw_chain`` a
    non-negative integer per draw.
    """
    d = len(nodes)
    if adjacency.ndim != 3 or adjacency.shape[1:] != (d, d) or adjacency.shape[0] < 1:
        raise CausalpostError(
            f"{where}: adjacency has shape {adjacency.shape}, expected (n_draws, {d}, {d})")
    if adjacency.dtype.kind not in "biu" or not np.isin(adjacency, (0, 1)).all():
        raise CausalpostError(f"{where}: adjacency entries must be 0 or 1")
    n_draws = adjacency.shape[0]
    loops = np.argwhere(np.einsum("sii->si", adjacency))
    if loops.size:
        s, i = loops[0]
        raise CausalpostError(f"{where}: draw {s} has a self-loop {nodes[i]}->{nodes[i]}")
    cyclic = np.flatnonzero(~is_acyclic(adjacency.astype(bool)))
    if cyclic.size:
        raise CausalpostError(
            f"{where}: draw {cyclic[0]} is not acyclic ({_cycle(adjacency[cyclic[0]], nodes)}); "
            f"{cyclic.size} cyclic draw(s)")
    _check_log_weights(log_weights, n_draws, where)
    for key, value in params.items():
        if value.dtype.kind not in _NUMERIC or value.shape[:1] != (n_draws,):
            raise CausalpostError(
                f"{where}: parameter {key!r} must be numeric with a leading n_draws axis")
    _check_gaussian(params, adjacency, where)
    _check_cpts(params, adjacency, info, nodes, where)
    chain = diagnostics.get("draw_chain")
    if chain is not None:
        chain = np.asarray(chain)
        if chain.shape != (n_draws,) or chain.dtype.kind not in "iu" or (chain < 0).any():
            raise CausalpostError(
                f"{where}: diagnostics 'draw_chain' must be one non-negative integer per draw")


def _cycle(adjacency: np.ndarray, nodes: list[str]) -> str:
    import networkx as nx

    graph = nx.DiGraph([(nodes[i], nodes[j]) for i, j in np.argwhere(adjacency)])
    edges = nx.find_cycle(graph)
    return ", ".join(f"{a}->{b}" for a, b in edges)


def _check_log_weights(log_weights: np.ndarray, n_draws: int, where: str) -> None:
    if log_weights.shape != (n_draws,) or log_weights.dtype.kind != "f":
        raise CausalpostError(
            f"{where}: log_weights must be {n_draws} floats, got shape {log_weights.shape}")
    if np.isnan(log_weights).any() or np.isposinf(log_weights).any():
        raise CausalpostError(f"{where}: log_weights hold NaN or +inf")
    total = logsumexp(log_weights)
    if not abs(total) <= 1e-6:
        raise CausalpostError(
            f"{where}: the weights sum to {np.exp(total):.6g}, not 1 (a corrupt file)")


def _check_gaussian(params: dict[str, np.ndarray], adjacency: np.ndarray, where: str) -> None:
    n_draws, d = adjacency.shape[:2]
    expected = {"weights": (n_draws, d, d), "intercept": (n_draws, d), "noise_var": (n_draws, d)}
    for key, shape in expected.items():
        value = params.get(key)
        if value is None:
            continue
        if value.shape != shape or not np.isfinite(value).all():
            raise CausalpostError(
                f"{where}: parameter {key!r} must be finite of shape {shape}, "
                f"got shape {value.shape}")
    if "weights" in params and (params["weights"][adjacency == 0] != 0).any():
        raise CausalpostError(f"{where}: a regression weight is non-zero where there is no edge")
    if "noise_var" in params and (params["noise_var"] <= 0).any():
        raise CausalpostError(f"{where}: a noise variance is not positive")


def _check_cpts(params, adjacency, info, nodes, where) -> None:
    keys = [k for k in params if k.startswith("cpt_")]
    if not keys:
        return
    d = len(nodes)
    if sorted(keys) != sorted(f"cpt_{j}" for j in range(d)):
        raise CausalpostError(f"{where}: expected CPT arrays cpt_0 .. cpt_{d - 1}")
    arities = np.array([params[f"cpt_{j}"].shape[-1] for j in range(d)])
    levels = info.get("levels")
    if isinstance(levels, list) and len(levels) == d:
        for j, lv in enumerate(levels):
            if not isinstance(lv, list) or len(lv) != arities[j]:
                raise CausalpostError(
                    f"{where}: node {nodes[j]!r}: CPT columns do not match its levels")
    log_arity = np.log(np.maximum(arities, 1))
    for j in range(d):
        cpt = params[f"cpt_{j}"]
        if cpt.ndim != 3 or arities[j] < 2 or cpt.shape[1] < 1:
            raise CausalpostError(f"{where}: cpt_{j} must have shape (n_draws, configs, arity)")
        log_configs = adjacency[:, :, j].astype(np.float64) @ log_arity
        if (log_configs > np.log(cpt.shape[1]) + 1e-9).any():
            raise CausalpostError(f"{where}: cpt_{j} has fewer rows than its parents' configs")
        n_configs = np.rint(np.exp(log_configs)).astype(np.int64)
        used = np.arange(cpt.shape[1])[None, :] < n_configs[:, None]
        rows = cpt[used]
        ok = np.isfinite(rows).all(axis=1) & (rows >= 0).all(axis=1)
        ok &= np.abs(rows.sum(axis=1) - 1) <= 1e-6
        if not ok.all():
            s = int(np.flatnonzero(~_per_draw(ok, used))[0])
            raise CausalpostError(
                f"{where}: draw {s}, node {nodes[j]!r}: a CPT row is NaN or not normalised "
                "(a file from a causalpost with the Dirichlet underflow bug: fit again)")


def _per_draw(ok_rows: np.ndarray, used: np.ndarray) -> np.ndarray:
    """Per draw, whether all its used rows are fine."""
    out = np.ones(used.shape[0], dtype=bool)
    draw_of_row = np.nonzero(used)[0]
    np.logical_and.at(out, draw_of_row, ok_rows)
    return out
