"""Fuzzing the loaders (issue 16): every generated input either loads into a valid
object or raises the package's own error type, never anything else.

Bounded budgets (hypothesis ``max_examples``), no deadline: these run in CI.
"""

from __future__ import annotations

import io
import json
import os
import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import causalpost as cp
from causalpost.posterior import FORMAT, Posterior
from incentives import CID, Design, IncentiveError

FUZZ = settings(max_examples=int(os.environ.get("CAUSALPOST_FUZZ_EXAMPLES", 60)), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20,
)
csv_text = st.text(alphabet="AB01,;\t.-eE\n\"x ", max_size=120)


@FUZZ
@given(text=csv_text)
def test_csv_text_loads_or_raises_data_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("csv") / "f.csv"
    path.write_text(text)
    try:
        with warnings.catch_warnings():  # a fragile table may warn; it must not misload
            warnings.simplefilter("ignore", cp.errors.FragileDataWarning)
            data = cp.load_csv(path)
    except cp.DataError:
        return
    assert np.isfinite(data.values).all()
    assert len(set(data.names)) == data.n_nodes and data.n_obs >= 2
    assert all(isinstance(n, str) and n.strip() for n in data.names)


def _design_like():
    names = st.sampled_from(["A", "B", "C", "D", "U", ""])
    entry = st.fixed_dictionaries({}, optional={"observes": st.lists(names, max_size=3),
                                                "affects": st.lists(names, max_size=3),
                                                "parents": st.lists(names, max_size=3)})
    return st.fixed_dictionaries({}, optional={
        "decisions": st.dictionaries(names, entry, max_size=2) | json_values,
        "utilities": st.dictionaries(names, entry, max_size=2) | json_values,
        "protected": st.lists(names, max_size=2) | json_values,
        "kinds": st.lists(st.sampled_from(["voi", "ri", "ici", "voc", "x"]), max_size=3),
        "name": json_values,
    }) | json_values


@FUZZ
@given(obj=_design_like())
def test_design_json_loads_or_raises_incentive_error(tmp_path_factory, obj):
    path = tmp_path_factory.mktemp("design") / "d.json"
    path.write_text(json.dumps(obj))
    try:
        design = Design.load(path)
    except IncentiveError:
        return
    assert isinstance(design, Design)


@FUZZ
@given(obj=st.fixed_dictionaries({}, optional={
    "edges": st.lists(st.lists(st.sampled_from(["S", "D", "U", "X"]), max_size=3), max_size=4)
    | json_values,
    "decisions": st.lists(st.sampled_from(["D", "S", "Q"]), max_size=2) | json_values,
    "utilities": st.lists(st.sampled_from(["U", "D"]), max_size=2) | json_values,
    "nodes": json_values}) | json_values)
def test_cid_json_loads_or_raises_incentive_error(tmp_path_factory, obj):
    path = tmp_path_factory.mktemp("cid") / "c.json"
    path.write_text(json.dumps(obj))
    try:
        cid = CID.from_json(path)
    except IncentiveError:
        return
    assert isinstance(cid, CID)


@FUZZ
@given(
    header=st.fixed_dictionaries(
        {"format": st.just(FORMAT)},
        optional={"nodes": st.lists(st.sampled_from(["A", "B", "C"]), max_size=4) | json_values,
                  "exact": json_values, "info": json_values, "diagnostics": json_values}),
    adjacency=st.integers(0, 2**27 - 1),
    n_nodes=st.integers(1, 3),
    n_draws=st.integers(1, 3),
    log_weights=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1,
                         max_size=3),
)
def test_posterior_file_loads_or_raises_causalpost_error(tmp_path_factory, header, adjacency,
                                                         n_nodes, n_draws, log_weights):
    bits = np.array([(adjacency >> k) & 1 for k in range(n_draws * n_nodes * n_nodes)],
                    dtype=np.uint8).reshape(n_draws, n_nodes, n_nodes)
    buffer = io.BytesIO()
    np.savez(buffer, adjacency=bits, log_weights=np.array(log_weights),
             header=np.array(json.dumps(header)))
    target = tmp_path_factory.mktemp("npz") / "p.npz"
    target.write_bytes(buffer.getvalue())
    try:
        post = Posterior.load(target)
    except cp.CausalpostError:
        return
    from causalpost.graphs import is_acyclic

    assert is_acyclic(post.adjacency).all()
    assert np.isclose(post.weights.sum(), 1.0) and np.isfinite(post.weights).all()
    assert all(isinstance(n, str) for n in post.nodes)
