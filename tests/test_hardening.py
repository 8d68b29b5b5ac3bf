"""Hostile inputs (issues 16 and 19): every one refused in one line or read correctly.

Each test here failed on the code before the hardening: a file misread, a
traceback, a partial or overwritten output, NaN in a result.
"""

from __future__ import annotations

import json
import os
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest

import causalpost as cp
from causalpost import _io
from causalpost.posterior import FORMAT, Posterior
from causalpost.scores.bdeu import BDeu
from causalpost_cli import main
from tests.conftest import chain_frame

# -- helpers -------------------------------------------------------------------------


def _posterior_file(path, adjacency, log_weights=None, nodes=("A", "B", "C"), header=None,
                    **arrays):
    """Write a posterior file by hand, as a hostile user could."""
    adjacency = np.asarray(adjacency, dtype=np.uint8)
    if log_weights is None:
        log_weights = np.full(adjacency.shape[0], -np.log(adjacency.shape[0]))
    head = {"format": FORMAT, "nodes": list(nodes), "exact": False, "info": {},
            "diagnostics": {}}
    head.update(header or {})
    np.savez_compressed(path, adjacency=adjacency, log_weights=np.asarray(log_weights),
                        header=np.array(json.dumps(head)), **arrays)
    return path


def _chain3(n_draws=2):
    adj = np.zeros((n_draws, 3, 3), np.uint8)
    adj[:, 0, 1] = adj[:, 1, 2] = 1
    return adj


def _error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def csv_path(tmp_path):
    path = tmp_path / "chain.csv"
    chain_frame(120, seed=3)[["A", "B", "C"]].to_csv(path, index=False)
    return path


@pytest.fixture
def saved(tmp_path, csv_path):
    out = tmp_path / "post.npz"
    cp.fit(cp.load_csv(csv_path), seed=0).save(out)
    return out


# -- posterior files: validated on load --------------------------------------------


def test_a_fresh_posterior_round_trips(saved):
    post = Posterior.load(saved)
    assert post.n_draws == 25 and post.nodes == ("A", "B", "C")


def test_draw_chain_diagnostics_are_allowed(tmp_path):
    path = _posterior_file(tmp_path / "p.npz", _chain3(3),
                           diag__draw_chain=np.array([0, 1, 1]))
    assert Posterior.load(path).diagnostics["draw_chain"].tolist() == [0, 1, 1]
    bad = _posterior_file(tmp_path / "q.npz", _chain3(3), diag__draw_chain=np.array([0, -1, 1]))
    with pytest.raises(cp.CausalpostError, match="draw_chain"):
        Posterior.load(bad)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda a: a.__setitem__((1, 2, 0), 1), r"draw 1 is not acyclic \(A->B, B->C, C->A\)"),
        (lambda a: a.__setitem__((0, 0, 0), 1), "self-loop A->A"),
        (lambda a: a.__setitem__((0, 0, 2), 2), "entries must be 0 or 1"),
    ],
)
def test_invalid_graphs_in_a_file_are_refused(tmp_path, mutate, message):
    adj = _chain3()
    mutate(adj)
    with pytest.raises(cp.CausalpostError, match=message):
        Posterior.load(_posterior_file(tmp_path / "p.npz", adj))


@pytest.mark.parametrize(
    ("log_weights", "message"),
    [
        ([np.log(41.0), 0.0], "sum to 42"),
        ([np.nan, 0.0], "NaN"),
        ([np.inf, 0.0], r"\+inf"),
        ([0.0], "log_weights must be 2 floats"),
    ],
)
def test_bad_log_weights_are_refused(tmp_path, log_weights, message):
    path = _posterior_file(tmp_path / "p.npz", _chain3(), log_weights=np.array(log_weights))
    with pytest.raises(cp.CausalpostError, match=message):
        Posterior.load(path)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ({"nodes": [{"a": 1}, "B", "C"]}, "not a non-empty string"),
        ({"nodes": [["A"], "B", "C"]}, "not a non-empty string"),
        ({"nodes": [1, "B", "C"]}, "not a non-empty string"),
        ({"nodes": [None, "B", "C"]}, "not a non-empty string"),
        ({"nodes": ["A", "A", "C"]}, "not unique"),
        ({"nodes": ["A", "B"]}, r"expected \(n_draws, 2, 2\)"),
        ({"nodes": "ABC"}, "must be a non-empty list"),
        ({"exact": "yes"}, "'exact' must be true or false"),
        ({"info": [1, 2]}, "'info' must be a JSON object"),
        ({"diagnostics": 3}, "'diagnostics' must be a JSON object"),
    ],
)
def test_malformed_headers_are_refused(tmp_path, header, message):
    path = _posterior_file(tmp_path / "p.npz", _chain3(), header=header)
    with pytest.raises(cp.CausalpostError, match=message):
        Posterior.load(path)


def test_deeply_nested_header_is_one_line_error(tmp_path):
    path = tmp_path / "deep.npz"
    np.savez(path, adjacency=_chain3(), log_weights=np.zeros(2) - np.log(2),
             header=np.array("[" * 100_000 + "]" * 100_000))
    with pytest.raises(cp.CausalpostError, match="nested too deeply|not valid JSON"):
        Posterior.load(path)


def test_huge_declared_shape_is_refused_before_allocating(tmp_path):
    """A .npy header may claim 10^12 elements; nothing that size is ever allocated."""
    path = _posterior_file(tmp_path / "p.npz", _chain3())
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    raw = members["log_weights.npy"]
    members["log_weights.npy"] = raw.replace(b"(2,)", b"(1000000000000,)")
    hostile = tmp_path / "hostile.npz"
    with zipfile.ZipFile(hostile, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(cp.CausalpostError, match="declares shape"):
        Posterior.load(hostile)


def test_zip_bomb_is_refused_from_the_zip_directory(tmp_path, monkeypatch):
    path = tmp_path / "bomb.npz"
    big = np.zeros((4000, 3, 3), np.uint8)  # 36 kB of zeros: compresses to almost nothing
    _posterior_file(path, big)
    assert path.stat().st_size < 5_000
    monkeypatch.setenv("CAUSALPOST_MAX_POSTERIOR_BYTES", "20000")
    with pytest.raises(cp.CausalpostError, match="more than the limit of 20,000"):
        Posterior.load(path)
    assert Posterior.load(path, max_bytes=10**6).n_draws == 4000


def test_object_arrays_and_foreign_members_are_refused(tmp_path):
    path = _posterior_file(tmp_path / "p.npz", _chain3(), extra=np.arange(3))
    with pytest.raises(cp.CausalpostError, match="unexpected array 'extra'"):
        Posterior.load(path)


def test_non_finite_parameters_are_refused(tmp_path):
    weights = np.zeros((2, 3, 3))
    weights[:, 0, 1] = weights[:, 1, 2] = 0.5
    weights[1, 1, 2] = np.nan
    path = _posterior_file(tmp_path / "p.npz", _chain3(), param__weights=weights)
    with pytest.raises(cp.CausalpostError, match="'weights' must be finite"):
        Posterior.load(path)
    weights[1, 1, 2] = 0.5
    weights[0, 2, 0] = 1.0  # a weight without an edge
    path = _posterior_file(tmp_path / "p.npz", _chain3(), param__weights=weights)
    with pytest.raises(cp.CausalpostError, match="no edge"):
        Posterior.load(path)


def test_nan_cpt_rows_in_an_old_file_fail_clearly(tmp_path):
    adj = np.zeros((2, 2, 2), np.uint8)
    adj[:, 0, 1] = 1
    cpt0 = np.array([[[0.5, 0.5]], [[0.3, 0.7]]])
    cpt1 = np.array([[[0.2, 0.8], [0.6, 0.4]], [[0.5, 0.5], [np.nan, np.nan]]])
    info = {"levels": [["a", "b"], ["x", "y"]], "kinds": ["discrete", "discrete"]}
    path = _posterior_file(tmp_path / "p.npz", adj, nodes=("A", "B"), header={"info": info},
                           param__cpt_0=cpt0, param__cpt_1=cpt1)
    with pytest.raises(cp.CausalpostError, match="draw 1, node 'B': a CPT row is NaN"):
        Posterior.load(path)


def test_fifo_input_is_refused_without_blocking(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    with pytest.raises(cp.CausalpostError, match="not a regular file"):
        Posterior.load(fifo)
    with pytest.raises(cp.DataError, match="not a regular file"):
        cp.load_csv(fifo)


# -- data tables -----------------------------------------------------------------------


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_other_delimiters_are_detected(tmp_path, sep):
    path = tmp_path / "data.csv"
    chain_frame(50, seed=1)[["A", "B", "C"]].to_csv(path, index=False, sep=sep)
    data = cp.load_csv(path)
    assert data.names == ("A", "B", "C")
    assert np.allclose(data.values, chain_frame(50, seed=1)[["A", "B", "C"]].to_numpy())


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfA,B\n1.5,2\n2.5,1\n0.5,3\n")
    assert cp.load_csv(path).names == ("A", "B")


def test_integer_column_labels_become_names():
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(40, 3)))
    data = cp.from_pandas(frame)
    assert data.names == ("0", "1", "2")
    assert cp.fit(frame, seed=0).nodes == ("0", "1", "2")


@pytest.mark.parametrize("scale", [1e307, 1e-307])
def test_values_whose_variance_overflows_are_refused(scale):
    values = np.random.default_rng(0).normal(size=(50, 2)) * scale
    with pytest.raises(cp.DataError, match="column 'X0'.*rescale"):
        cp.from_numpy(values)


def test_moderately_scaled_columns_give_finite_parameters():
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    values = np.c_[x * 1e8, (2 * x + rng.normal(size=300)) * 1e-8]
    post = cp.fit(cp.from_numpy(values, ["A", "B"]), seed=0)
    for value in post.params.values():
        assert np.isfinite(value).all()
    assert post.edge_prob_matrix[0, 1] + post.edge_prob_matrix[1, 0] > 0.99


# -- parameters: finite and normalised for every sampler ------------------------------


def test_sparse_dirichlet_draws_never_give_nan_rows():
    """729 parent configurations, 300 rows: most cells have only the prior's 1/2187."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"V{j}": rng.integers(0, 3, 300) for j in range(7)})
    data = cp.from_pandas(frame, kinds={c: "discrete" for c in frame})
    adj = np.zeros((40, 7, 7), np.uint8)
    adj[:, :6, 6] = 1
    cpt = BDeu().bind(data).sample_parameters(adj, np.random.default_rng(1))["cpt_6"]
    assert np.isfinite(cpt).all()
    assert np.allclose(cpt.sum(axis=-1), 1.0)


# -- outputs: checked before the work, written atomically ----------------------------


@pytest.fixture
def no_fit(monkeypatch):
    """Fail the test if the fit starts: output checks must come first."""
    import causalpost.api

    def refuse(*args, **kwargs):
        raise AssertionError("the fit started before the output was checked")

    monkeypatch.setattr(causalpost.api, "make_sampler", refuse)


def test_fit_out_onto_its_own_data_is_refused_and_data_kept(csv_path, capsys, no_fit):
    before = csv_path.read_bytes()
    assert main(["fit", str(csv_path), "--out", str(csv_path), "--quiet"]) == 2
    assert "is the input file" in _error_line(capsys)
    assert csv_path.read_bytes() == before


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("missing/post.npz", "does not exist"),
        (".", "is a directory"),
        ("", "is empty"),
    ],
)
def test_fit_out_unwritable_is_refused_at_once(tmp_path, csv_path, capsys, no_fit, out, message):
    target = str(tmp_path / out) if out else out
    assert main(["fit", str(csv_path), "--out", target, "--quiet"]) == 2
    assert message in _error_line(capsys)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
def test_fit_out_on_a_read_only_file_system_is_refused(csv_path, capsys, no_fit):
    assert main(["fit", str(csv_path), "--out", "/proc/post.npz", "--quiet"]) == 2
    assert "not writable" in _error_line(capsys)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_fit_out_in_a_read_only_folder_is_refused(tmp_path, csv_path, capsys, no_fit):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert main(["fit", str(csv_path), "--out", str(folder / "p.npz"), "--quiet"]) == 2
    finally:
        folder.chmod(0o700)
    assert "not writable" in _error_line(capsys)


def test_save_sampler_is_checked_before_the_fit(tmp_path, csv_path, capsys, no_fit):
    out = str(tmp_path / "p.npz")
    argv = ["fit", str(csv_path), "--out", out, "--sampler", "gfn", "--quiet"]
    assert main([*argv, "--save-sampler", out]) == 2
    assert "same file" in _error_line(capsys)
    assert main([*argv, "--save-sampler", str(tmp_path / "no" / "gfn.pt")]) == 2
    assert "--save-sampler" in _error_line(capsys)
    assert main([*argv, "--save-sampler", str(csv_path)]) == 2
    assert "is the input file" in _error_line(capsys)


def test_plot_out_is_checked_before_loading(tmp_path, saved, capsys):
    before = saved.read_bytes()
    assert main(["plot", str(saved), "--out", str(saved)]) == 2
    assert "is the input file" in _error_line(capsys)
    assert saved.read_bytes() == before
    assert main(["plot", str(saved), "--out", str(tmp_path / "no" / "e.png")]) == 2
    assert "does not exist" in _error_line(capsys)
    assert main(["plot", str(saved), "--out", str(tmp_path / "e.txt")]) == 2
    assert ".png" in _error_line(capsys)


def test_audit_html_onto_an_input_is_refused(tmp_path, saved, capsys):
    design = tmp_path / "design.json"
    design.write_text(json.dumps({"decisions": {"D": {"observes": ["A"], "affects": ["B"]}},
                                  "utilities": {"U": {"parents": ["C"]}}}))
    before = design.read_bytes()
    assert main(["audit", str(design), "--posterior", str(saved), "--html", str(design)]) == 2
    assert "is the input file" in _error_line(capsys)
    assert design.read_bytes() == before
    assert main(["audit", str(design), "--posterior", str(saved), "--html", str(tmp_path)]) == 2
    assert "is a directory" in _error_line(capsys)


def test_demo_out_onto_a_file_is_refused_at_once(tmp_path, capsys, monkeypatch):
    import incentives.demo

    monkeypatch.setattr(incentives.demo, "run_demo", lambda *a, **k: pytest.fail("ran"))
    target = tmp_path / "a-file"
    target.write_text("keep me")
    assert main(["demo", "--out", str(target)]) == 2
    assert "not a directory" in _error_line(capsys)
    assert target.read_text() == "keep me"


def test_interrupted_save_keeps_the_previous_file_and_leaves_no_partial(tmp_path, saved,
                                                                        monkeypatch):
    before = saved.read_bytes()
    post = Posterior.load(saved)

    def interrupted(fh, **arrays):
        fh.write(b"PK partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez_compressed", interrupted)
    with pytest.raises(KeyboardInterrupt):
        post.save(saved)
    assert saved.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chain.csv", "post.npz"]


def test_atomic_path_removes_the_temporary_on_error(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError), _io.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


# -- design and CID JSON -------------------------------------------------------------

_DESIGN = {"decisions": {"D": {"observes": ["A"], "affects": ["B"]}},
           "utilities": {"U": {"parents": ["C"]}}}
_CID = {"edges": [["S", "D"], ["D", "U"]], "decisions": ["D"], "utilities": ["U"]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"name": ' + "9" * 5000 + "}", "not valid JSON"),
        ("{", "not valid JSON"),
    ],
)
@pytest.mark.parametrize("command", ["audit", "incentives"])
def test_hostile_json_gives_one_line(tmp_path, saved, capsys, text, message, command):
    path = tmp_path / "in.json"
    path.write_text(text)
    argv = (["audit", str(path), "--posterior", str(saved)] if command == "audit"
            else ["incentives", str(path)])
    assert main(argv) == 2
    assert message in _error_line(capsys)


def test_json_with_a_byte_order_mark_is_accepted(tmp_path):
    from incentives import CID, Design

    design = tmp_path / "design.json"
    design.write_bytes(b"\xef\xbb\xbf" + json.dumps(_DESIGN).encode())
    assert Design.load(design).decision_names == ("D",)
    cid = tmp_path / "cid.json"
    cid.write_bytes(b"\xef\xbb\xbf" + json.dumps(_CID).encode())
    assert CID.from_json(cid).decisions == ("D",)


def test_fifo_design_and_cid_are_refused(tmp_path, capsys):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    assert main(["incentives", str(fifo)]) == 2
    assert "not a regular file" in _error_line(capsys)
    from incentives import Design, IncentiveError

    with pytest.raises(IncentiveError, match="not a regular file"):
        Design.load(fifo)


def test_deep_json_on_stdin_is_one_line(capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("[" * 100_000))
    assert main(["incentives", "-"]) == 2
    assert "nested too deeply" in _error_line(capsys)


# -- long work shows progress ---------------------------------------------------------


def test_pc_skeleton_search_space_shows_a_progress_bar_unless_quiet(capsys):
    from causalpost._causallearn import pc_skeleton, run_pc
    from causalpost.samplers._common import prepare_problem
    from causalpost.samplers._search_space import candidate_parents

    data = cp.from_pandas(chain_frame(300, seed=2))
    problem = prepare_problem(data, None, None, None, None, None)
    quiet = candidate_parents(problem, "pc")
    assert "Depth=" not in capsys.readouterr().err
    loud = candidate_parents(problem, "hybrid", quiet=False)
    assert "Depth=" in capsys.readouterr().err
    assert all(set(q.tolist()) <= set(h.tolist()) for q, h in zip(quiet, loud))
    # the skeleton phase alone keeps exactly PC's adjacencies
    directed, undirected = run_pc(data.values, "continuous")
    skeleton = pc_skeleton(data.values, "continuous")
    assert (skeleton == ((directed | directed.T | undirected) > 0)).all()


# -- options: one line, exit 2 ---------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--seed", "-1"], "seed must be a non-negative integer"),
        (["--ess", "3"], "score 'bge' does not take option(s) ['ess']"),
        (["--sampler", "mcmc", "--n-draws", str(10**12)], "ask for fewer draws"),
    ],
)
def test_bad_fit_options_give_one_line(tmp_path, csv_path, capsys, extra, message):
    out = tmp_path / "p.npz"
    assert main(["fit", str(csv_path), "--out", str(out), "--quiet", *extra]) == 2
    assert message in _error_line(capsys)
    assert not out.exists()


def test_score_options_of_the_other_score_are_refused():
    from causalpost.scores import make_score

    with pytest.raises(cp.CausalpostError, match=r"'bdeu' does not take .*'standardize'"):
        make_score("bdeu", standardize=False)


def test_cuda_without_cuda_is_one_line(tmp_path, csv_path, capsys):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    argv = ["fit", str(csv_path), "--out", str(tmp_path / "p.npz"), "--sampler", "gfn",
            "--device", "cuda", "--gfn-steps", "2", "--quiet"]
    assert main(argv) == 2
    assert "no CUDA device" in _error_line(capsys)


@pytest.mark.parametrize(("raised", "code", "message"),
                         [(KeyboardInterrupt, 130, "interrupted"),
                          (MemoryError, 2, "out of memory")])
def test_interrupt_and_memory_errors_are_one_line(tmp_path, csv_path, capsys, monkeypatch,
                                                  raised, code, message):
    import causalpost.api

    def boom(*args, **kwargs):
        raise raised()

    monkeypatch.setattr(causalpost.api, "make_sampler", boom)
    out = tmp_path / "p.npz"
    assert main(["fit", str(csv_path), "--out", str(out), "--quiet"]) == code
    assert message in _error_line(capsys)
    assert not out.exists()


# -- every sampler: every parameter draw finite and normalised ------------------------


def _sparse_discrete() -> cp.Dataset:
    """Few rows, many parent configurations: where Dirichlet draws underflowed."""
    rng = np.random.default_rng(5)
    n = 60
    x = rng.integers(0, 4, (n, 3))
    y = (x.sum(axis=1) + rng.integers(0, 2, n)) % 4
    frame = pd.DataFrame(np.c_[x, y], columns=["A", "B", "C", "D"])
    return cp.from_pandas(frame, kinds={c: "discrete" for c in frame})


@pytest.mark.parametrize("kind", ["continuous", "discrete"])
@pytest.mark.parametrize("name", sorted(cp.samplers.SAMPLERS))
def test_every_parameter_draw_of_every_sampler_is_valid(tmp_path, name, kind):
    """Through the strict file validator: finite weights, positive variances, CPT rows
    non-negative and summing to 1, for every draw; and the file loads again."""
    from tests.test_sampler_conformance import _make

    data = _sparse_discrete() if kind == "discrete" else cp.from_pandas(chain_frame(80, seed=7))
    post = _make(name, seed=0).fit(data).posterior_
    assert post.params, "parameters were drawn"
    for key, value in post.params.items():
        if key.startswith("cpt_"):
            configs = np.prod(np.where(post.adjacency[:, :, int(key[4:])], 4, 1), axis=1)
            for s in range(post.n_draws):
                rows = value[s, : configs[s]]
                assert np.isfinite(rows).all() and np.allclose(rows.sum(axis=1), 1.0)
        else:
            assert np.isfinite(value).all()
    loaded = Posterior.load(post.save(tmp_path / "p.npz"))
    assert loaded.n_draws == post.n_draws


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize(("signame", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_signal_during_the_write_keeps_the_previous_file(tmp_path, csv_path, saved, signame,
                                                         code):
    """A signal arrives while the posterior is half written (deterministically: the
    writer signals its own process): exit 130 / 143, one line, the previous file
    intact and no partial or temporary file left."""
    import subprocess

    script = f"""
import os, signal, sys
import numpy as np
from causalpost_cli import main

def half_written(fh, **arrays):
    fh.write(b"PK half a file")
    os.kill(os.getpid(), signal.{signame})
    fh.write(b"never reached")

np.savez_compressed = half_written
sys.exit(main(["fit", {str(csv_path)!r}, "--out", {str(saved)!r}, "--quiet"]))
"""
    before = saved.read_bytes()
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300, cwd=os.getcwd())
    assert run.returncode == code, run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert saved.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chain.csv", "post.npz"]


@pytest.mark.parametrize("name", sorted(cp.samplers.SAMPLERS))
def test_same_seed_gives_byte_identical_files(tmp_path, name):
    from tests.test_sampler_conformance import _make

    data = cp.from_pandas(chain_frame(80, seed=7))
    first = _make(name, seed=3).fit(data).posterior_.save(tmp_path / "a.npz").read_bytes()
    again = _make(name, seed=3).fit(data).posterior_.save(tmp_path / "b.npz").read_bytes()
    assert first == again


# -- numerically hostile data: no NaN or inf in any score or parameter ---------------


def _hostile_tables() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    x = rng.normal(size=200)
    return {
        "collinear": np.c_[x, 2 * x, x + rng.normal(size=200)],
        "duplicated": np.c_[x, x, rng.normal(size=200)],
        "n<d": rng.normal(size=(3, 5)),
        "scaled 1e8 / 1e-8": np.c_[x * 1e8, (x + rng.normal(size=200)) * 1e-8,
                                   rng.normal(size=200)],
    }


@pytest.mark.parametrize("standardize", [True, False])
@pytest.mark.parametrize("name", list(_hostile_tables()))
def test_hostile_tables_give_finite_scores_and_parameters(name, standardize):
    from causalpost.graphs import enumerate_dags
    from causalpost.scores import BGe

    values = _hostile_tables()[name]
    if name in ("collinear", "duplicated"):
        with pytest.warns(cp.errors.FragileDataWarning, match="'X0' and 'X1' are collinear"):
            data = cp.from_numpy(values)
    else:
        data = cp.from_numpy(values)  # no warning (warnings are errors in the suite)
    bound = BGe(standardize=standardize).bind(data)
    d = data.n_nodes
    sets = [()] + [(i,) for i in range(1, d)] + [tuple(range(1, d))]
    assert np.isfinite(bound.local_scores(0, sets)).all()
    post = cp.fit(data, seed=0, score_options={"standardize": standardize})
    assert np.isfinite(post.log_weights).all()
    for value in post.params.values():
        assert np.isfinite(value).all()
    assert post.n_draws == len(enumerate_dags(d))


def test_a_million_rows_give_finite_results():
    rng = np.random.default_rng(2)
    x = rng.normal(size=10**6)
    values = np.c_[x, 0.5 * x + rng.normal(size=10**6), rng.normal(size=10**6)]
    post = cp.fit(cp.from_numpy(values, ["A", "B", "C"]), seed=0)
    assert np.isfinite(post.log_weights).all()
    assert all(np.isfinite(v).all() for v in post.params.values())
    assert post.edge_prob_matrix[0, 1] + post.edge_prob_matrix[1, 0] > 0.999


# -- invariants at volume (slow) -----------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mcmc", "order", "partition"])
def test_a_million_draws_are_acyclic_and_respect_the_knowledge(name):
    """10^6 draws on a 6-node table with forbidden, required and tier constraints:
    0 cyclic draws, 0 violations (the count quoted in the README)."""
    from causalpost.graphs import is_acyclic
    from causalpost.knowledge import BackgroundKnowledge

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 6))
    x[:, 1] += x[:, 0]
    x[:, 2] += x[:, 1]
    x[:, 4] += x[:, 3]
    names = list("ABCDEF")
    knowledge = BackgroundKnowledge(forbidden=frozenset({("B", "A"), ("D", "C")}),
                                    required=frozenset({("A", "E")}),
                                    tiers=(("A", "B"), ("C", "D", "E", "F")))
    post = cp.fit(cp.from_numpy(x, names), sampler=name, n_draws=10**6, seed=0,
                  knowledge=knowledge, quiet=True, parameters=False)
    adj = post.adjacency
    assert post.n_draws == 10**6
    assert int((~is_acyclic(adj)).sum()) == 0
    forbidden, required = knowledge.matrices(names)
    assert int((adj.astype(bool) & forbidden).any(axis=(1, 2)).sum()) == 0
    assert int((~adj.astype(bool) & required).any(axis=(1, 2)).sum()) == 0


@pytest.mark.parametrize("quiet", [False, True])
def test_mcmc_in_the_pc_space_shows_the_skeleton_bar_unless_quiet(capsys, quiet):
    data = cp.from_pandas(chain_frame(200, seed=4))
    cp.fit(data, sampler="mcmc", search_space="pc", n_draws=20, n_chains=1, seed=0,
           quiet=quiet)
    assert ("Depth=" in capsys.readouterr().err) is not quiet


@pytest.mark.parametrize("kind", ["continuous", "discrete"])
def test_files_written_before_the_hardening_still_load(kind):
    """tests/data/posterior_v1_*.npz were written by the previous ``Posterior.save``
    (with the wall-clock ``seconds`` diagnostic): they load, and match a fresh fit."""
    from pathlib import Path

    from tests.conftest import discrete_frame

    old = Posterior.load(Path(__file__).parent / "data" / f"posterior_v1_{kind}.npz")
    if kind == "continuous":
        data = cp.from_pandas(chain_frame(100)[["A", "B", "C"]])
    else:
        data = cp.from_pandas(discrete_frame()[["X", "Y", "Z"]],
                              kinds={"Y": "discrete", "Z": "discrete"})
    fresh = cp.fit(data, sampler="exact", seed=0)
    assert old.nodes == fresh.nodes and old.n_draws == 25 and old.exact
    assert np.allclose(old.edge_prob_matrix, fresh.edge_prob_matrix, atol=1e-12)
    assert old.params.keys() == fresh.params.keys()


@pytest.mark.filterwarnings("default::causalpost.errors.FragileDataWarning")
def test_cli_warnings_are_one_line(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=50)
    path = tmp_path / "collinear.csv"
    pd.DataFrame({"A": x, "B": 2 * x, "C": rng.normal(size=50)}).to_csv(path, index=False)
    assert main(["fit", str(path), "--out", str(tmp_path / "p.npz"), "--quiet"]) == 0
    warned = [ln for ln in capsys.readouterr().err.splitlines() if "collinear" in ln]
    assert warned == ["causalpost: warning: columns 'A' and 'B' are collinear (|r| = 1): the "
                      "scores of their edges rest on the prior; drop one of them"]
