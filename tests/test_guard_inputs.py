"""The harm guard's bad inputs, invariants (hypothesis) and command line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import causalpost as cp
from causalpost import Posterior
from causalpost.guard import guard
from causalpost_cli import main
from tests.conftest import discrete_frame


def _gaussian(n_draws: int = 4, seed: int = 0) -> Posterior:
    """X -> Y -> Z and Z -> Y -> X draws with random parameters."""
    rng = np.random.default_rng(seed)
    adj = np.zeros((n_draws, 3, 3), dtype=np.uint8)
    adj[::2, 0, 1] = adj[::2, 1, 2] = 1
    adj[1::2, 2, 1] = adj[1::2, 1, 0] = 1
    params = {"weights": adj * rng.normal(size=adj.shape),
              "intercept": rng.normal(size=(n_draws, 3)),
              "noise_var": rng.uniform(0.2, 2.0, size=(n_draws, 3))}
    return Posterior(["X", "Y", "Z"], adj, None, params, info={"kinds": ["continuous"] * 3})


@pytest.fixture(scope="module")
def discrete_post() -> Posterior:
    frame = discrete_frame(n_obs=200, seed=2)
    data = cp.from_pandas(frame, kinds=dict.fromkeys(frame.columns, "discrete"))
    return cp.fit(data, sampler="exact", seed=0)


GAUSSIAN_BAD = [
    ({"Q": 1.0}, "Z>1", None, "unknown node 'Q' in action"),
    ({"X": 1.0}, "Q>1", None, "unknown node 'Q' in harm"),
    ({"X": 1.0}, "Z>1", {"Q": 0}, "unknown node 'Q' in given"),
    ({"X": 1.0}, "X>1", None, "harm node 'X' is set by the action"),
    ({"X": 1.0}, "Z>1", {"X": 0}, "both set by the action and given"),
    ({"X": 1.0}, "Z>1", {"Z": 0}, "both the harm node and given"),
    ({"X": 1.0}, "Z=1", None, "continuous node has probability 0"),
    ({"X": "high"}, "Z>1", None, "not a finite number"),
    ({"X": float("nan")}, "Z>1", None, "not a finite number"),
    ("X", "Z>1", None, "malformed action"),
    ("X=1=2", "Z>1", None, "malformed action"),
    ("X=1", "Z>>1", None, "malformed harm"),
    ("X=1", "Z>abc", None, "not a finite number"),
    ("X=1", "2<Z<1", None, "needs finite LO < HI"),
    ("X=1", ("Z", "~", 1), None, "unknown operator"),
    ("X=1", ("Z", ">"), None, "malformed harm"),
    ("X=0:1", "Z>1", None, "malformed grid"),
    ("X=0:1:0", "Z>1", None, "malformed grid"),
    ({"X": [0, 1], "Y": [0, 1]}, "Z>1", None, "only one action node"),
    ({"X": []}, "Z>1", None, "empty list"),
    ({}, "Z>1", None, "sets no node"),
    ({"X": 1.0}, "Z>1", {"Y": [1, 2]}, "takes one value"),
]


@pytest.mark.parametrize(("action", "harm", "context", "message"), GAUSSIAN_BAD)
def test_bad_gaussian_input(action, harm, context, message):
    with pytest.raises(cp.CausalpostError, match=message):
        guard(_gaussian(), action, harm, context)


@pytest.mark.parametrize(("action", "harm", "context", "message"), [
    ({"Y": 7}, "W=1", None, "not a level of 'Y'"),
    ({"Y": 1}, "W=5", None, "not a level of 'W'"),
    ({"Y": 1}, "X>0", None, "not numbers"),
    ({"Y": 1}, "W=1", {"X": "maybe"}, "not a level of 'X'"),
    ({"Y": 1}, "W=1", {"X": "yes"}, "counterfactual, not identified"),
])
def test_bad_discrete_input(discrete_post, action, harm, context, message):
    with pytest.raises(cp.CausalpostError, match=message):
        guard(discrete_post, action, harm, context)


@pytest.mark.parametrize(("option", "value", "message"), [
    ("threshold", 1.5, "threshold"), ("threshold", -0.1, "threshold"),
    ("alpha", 0.0, "alpha"), ("alpha", float("nan"), "alpha"),
    ("level", 1.0, "level"), ("observed", "during", "observed"),
])
def test_bad_options(option, value, message):
    with pytest.raises(cp.CausalpostError, match=message):
        guard(_gaussian(), {"X": 1.0}, "Z>1", **{option: value})


def test_posterior_without_parameters():
    post = Posterior(["X", "Y"], np.array([[[0, 1], [0, 0]]]))
    with pytest.raises(cp.CausalpostError, match="no parameter draws"):
        guard(post, {"X": 1.0}, "Y>0")
    with pytest.raises(cp.CausalpostError, match="expected a causalpost Posterior"):
        guard("post.npz", {"X": 1.0}, "Y>0")


# ------------------------------------------------------------------ invariants

@st.composite
def gaussian_posteriors(draw):
    n_draws = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    order = [rng.permutation(3) for _ in range(n_draws)]
    adj = np.zeros((n_draws, 3, 3), dtype=np.uint8)
    for s, perm in enumerate(order):
        for a in range(3):
            for b in range(a + 1, 3):
                adj[s, perm[a], perm[b]] = rng.random() < 0.6
    params = {"weights": adj * rng.normal(0, 2, size=adj.shape),
              "intercept": rng.normal(size=(n_draws, 3)),
              "noise_var": rng.uniform(0.05, 3.0, size=(n_draws, 3))}
    exact = draw(st.booleans())
    log_w = rng.normal(0, 2, size=n_draws) if exact else None
    return Posterior(["X", "Y", "Z"], adj, log_w, params, exact=exact)


@settings(max_examples=60, deadline=None)
@given(post=gaussian_posteriors(), x=st.floats(-3, 3), t=st.floats(-3, 3),
       threshold=st.floats(0, 1), alpha=st.floats(0.01, 1), observed=st.sampled_from(
           ["before", "after"]), context=st.booleans())
def test_invariants(post, x, t, threshold, alpha, observed, context):
    ctx = {"Y": 0.3} if context else None
    report = guard(post, {"X": x}, f"Z>{t}", ctx, threshold=threshold, alpha=alpha,
                   observed=observed)
    q, probs = report.q[:, 0], report.graph_probabilities
    m, b, p = report.marginal, report.bound, report.plausible
    lo, hi = report.interval
    assert ((0 <= q) & (q <= 1)).all() and 0 <= lo <= m <= hi <= 1
    assert q.min() - 1e-12 <= m <= q.max() + 1e-12  # an average of the q(G)
    assert b >= q[0]  # the most probable graph is always in the credible set
    assert m >= probs.max() * q[np.argmax(probs)] * (1 - 1e-9)
    assert m + 1e-12 >= (probs * q).max() and p == q[np.argmax(probs * q)]
    wider = guard(post, {"X": x}, f"Z>{t}", ctx, threshold=threshold, alpha=alpha / 2,
                  observed=observed)
    assert wider.bound >= b  # a smaller alpha, a larger credible set
    complement = guard(post, {"X": x}, f"Z<={t}", ctx, observed=observed)
    assert complement.marginal == pytest.approx(1 - m, abs=1e-9)
    expected = "refuse" if m > threshold else ("allow" if b <= threshold else "defer")
    assert report.verdict == expected


@settings(max_examples=25, deadline=None)
@given(post=gaussian_posteriors(), x=st.floats(-3, 3), z=st.floats(-3, 3))
def test_context_timing_agrees_off_the_action_descendants(post, x, z):
    """Before and after give the same number when the given node cannot be changed."""
    reach = cp.graphs.transitive_closure(post.adjacency).astype(bool)
    if reach[:, 1, 0].any():  # Y reaches X in some draw
        return
    before = guard(post, {"Y": x}, "Z>0", {"X": z}, observed="before")
    after = guard(post, {"Y": x}, "Z>0", {"X": z}, observed="after")
    np.testing.assert_allclose(before.q, after.q, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------ command line

@pytest.fixture
def saved(tmp_path):
    post = _gaussian(n_draws=6, seed=4)
    return str(post.save(tmp_path / "post.npz"))


def test_cli_verdicts_and_exit_codes(saved, capsys, tmp_path):
    report = guard(Posterior.load(saved), {"X": 1.0}, "Z>0.5", threshold=0.05)
    code = main(["guard", saved, "--action", "X=1", "--harm", "Z>0.5", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == report.verdict
    assert out["actions"][0]["marginal"] == pytest.approx(report.marginal)
    assert code == (0 if report.verdict == "allow" else 1)
    assert main(["guard", saved, "--action", "X=1", "--harm", "Z>0.5", "--threshold",
                 "1"]) == 0
    text = capsys.readouterr().out
    assert "verdict: allow" in text
    md, page, png = tmp_path / "g.md", tmp_path / "g.html", tmp_path / "g.png"
    code = main(["guard", saved, "--action", "X=-1:1:3", "--harm", "Z>0.5", "--given",
                 "Y=0.2", "--observed", "after", "--markdown", str(md), "--html", str(page),
                 "--plot", str(png), "--quiet"])
    assert capsys.readouterr().out.strip() in ("allow", "refuse", "defer")
    assert code in (0, 1)
    assert md.read_text().count("| X=") == 3
    assert page.read_text().count("data:image/png;base64") == 2
    assert png.stat().st_size > 1000


@pytest.mark.parametrize("argv", [
    ["--action", "Q=1", "--harm", "Z>0"],
    ["--action", "X=1", "--harm", "X>0"],
    ["--action", "X=1", "--harm", "Z=0"],
    ["--action", "X=1", "--harm", "Z>>0"],
    ["--action", "X=1", "--harm", "Z>0", "--given", "Y"],
    ["--action", "X=1", "--harm", "Z>0", "--threshold", "2"],
])
def test_cli_bad_input_is_one_line(saved, capsys, argv):
    assert main(["guard", saved, *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("causalpost: error:") and err.count("\n") == 1


def test_cli_posterior_without_parameters(tmp_path, capsys):
    path = Posterior(["X", "Y"], np.array([[[0, 1], [0, 0]]])).save(tmp_path / "p.npz")
    assert main(["guard", str(path), "--action", "X=1", "--harm", "Y>0"]) == 2
    assert "no parameter draws" in capsys.readouterr().err


def test_interval_widens_for_correlated_draws():
    """The same draws in long runs (a sticky chain) give a wider interval than shuffled."""
    base = _gaussian(n_draws=2, seed=5)  # X->Y->Z and Z->Y->X, one parameter draw each
    idx = np.tile([0, 1], 200)
    post = Posterior(base.nodes, base.adjacency[idx], None,
                     {k: v[idx] for k, v in base.params.items()})
    order = np.argsort(post.adjacency[:, 0, 1], kind="stable")  # one graph, then the other

    def reordered(idx):
        return Posterior(post.nodes, post.adjacency[idx], None,
                         {k: v[idx] for k, v in post.params.items()})

    sticky = guard(reordered(order), {"X": 1.0}, "Z>0")
    mixed = guard(reordered(np.random.default_rng(0).permutation(400)), {"X": 1.0}, "Z>0")
    assert sticky.marginal == pytest.approx(mixed.marginal, rel=1e-12)
    width = lambda r: r.interval[1] - r.interval[0]  # noqa: E731
    assert width(sticky) > 3 * width(mixed)


def test_guard_outputs_are_checked_before_the_work(tmp_path, capsys):
    from causalpost_cli import main

    missing = tmp_path / "nowhere" / "report.md"
    assert main(["guard", str(tmp_path / "post.npz"), "--action", "Dose=3",
                 "--harm", "Toxicity>2.5", "--markdown", str(missing)]) == 2
    assert "--markdown" in capsys.readouterr().err
