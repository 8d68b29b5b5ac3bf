"""The typed diagnostics of a posterior (issue 15): fields, the mapping view, the file."""

from __future__ import annotations

import json

import numpy as np
import pytest

import causalpost as cp
from causalpost.diagnostics import Diagnostics
from causalpost.posterior import FORMAT, Posterior


def _file(path, diagnostics, fmt=FORMAT):
    head = {"format": fmt, "nodes": ["A", "B"], "exact": False, "info": {},
            "diagnostics": diagnostics}
    np.savez(path, adjacency=np.zeros((2, 2, 2), np.uint8), log_weights=np.log([0.5, 0.5]),
             header=np.array(json.dumps(head)))
    return path


def test_fields_and_the_mapping_view_agree():
    d = Diagnostics(converged=False, rhat_log_score=1.2, extra={"mine": [1]})
    assert d.converged is False and d["converged"] is False and d["mine"] == [1]
    assert list(d) == ["converged", "rhat_log_score", "mine"] and len(d) == 3
    assert "seconds" not in d and d.get("seconds") is None and d.seconds is None
    with pytest.raises(KeyError):
        _ = d["seconds"]
    with pytest.raises(AttributeError):
        d.converged = True  # frozen
    assert d == {"converged": False, "rhat_log_score": 1.2, "mine": [1]}


def test_from_mapping_keeps_order_and_explicit_none():
    d = Diagnostics.from_mapping({"final_loss": None, "n_steps": 3, "converged": True})
    assert list(d) == ["final_loss", "n_steps", "converged"] and d["final_loss"] is None
    assert d.replace(seconds=1.0)["seconds"] == 1.0 and "seconds" not in d


def test_every_sampler_reports_typed_diagnostics(chain_data):
    post = cp.fit(chain_data, seed=0)
    assert isinstance(post.diagnostics, Diagnostics)
    assert post.diagnostics.converged is True and post.diagnostics.n_dags == post.n_draws
    assert not post.diagnostics.extra


def test_saved_diagnostics_round_trip_typed(tmp_path, chain_data):
    post = cp.fit(chain_data, sampler="mcmc", n_draws=40, n_chains=2, seed=0, quiet=True,
                  parameters=False)
    back = Posterior.load(post.save(tmp_path / "p.npz"))
    assert isinstance(back.diagnostics, Diagnostics) and back.diagnostics.seconds is None
    assert back.diagnostics.converged == post.diagnostics.converged
    np.testing.assert_array_equal(back.diagnostics.draw_chain, post.diagnostics.draw_chain)
    assert back.diagnostics.boundary_mass == post.diagnostics.boundary_mass
    assert json.loads(str(np.load(tmp_path / "p.npz")["header"]))["format"] == FORMAT


def test_a_version_1_file_loads_and_a_newer_one_fails_clearly(tmp_path):
    old = Posterior.load(_file(tmp_path / "v1.npz", {"converged": True, "n_dags": 3},
                               "causalpost.posterior/1"))
    assert old.diagnostics.converged is True and old.diagnostics.n_dags == 3
    with pytest.raises(cp.CausalpostError, match="newer causalpost.*upgrade"):
        Posterior.load(_file(tmp_path / "v9.npz", {}, "causalpost.posterior/9"))


@pytest.mark.parametrize(("key", "value", "words"), [
    ("converged", "yes", "true or false"), ("n_chains", 1.5, "an integer"),
    ("rhat_log_score", [1], "a number"), ("stop_reason", 3, "a string")])
def test_a_diagnostic_of_the_wrong_type_is_one_line(tmp_path, key, value, words):
    with pytest.raises(cp.CausalpostError, match=f"diagnostics '{key}' must be {words}"):
        Posterior.load(_file(tmp_path / "bad.npz", {key: value}))


def test_diagnostics_is_public():
    assert cp.Diagnostics is Diagnostics and "Diagnostics" in cp.__all__
