import json

import numpy as np
import pytest

import causalpost as cp
from causalpost_cli import main
from tests.conftest import chain_frame


@pytest.fixture
def csv_path(tmp_path):
    path = tmp_path / "chain.csv"
    chain_frame(150, seed=4).to_csv(path, index=False)
    return path


def test_fit_then_show_json_gives_exact_edge_probs(tmp_path, csv_path, capsys):
    out = tmp_path / "post.npz"
    assert main(["fit", str(csv_path), "--out", str(out), "--seed", "1", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["show", str(out), "--json", "--top", "3"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert set(shown) == {"nodes", "transforms", "diagnostics", "edge_probs", "n_draws",
                          "consensus_edges", "top_graphs"}
    direct = cp.fit(cp.load_csv(csv_path), seed=1)
    assert shown["nodes"] == list(direct.nodes)
    assert np.allclose(shown["edge_probs"], direct.edge_prob_matrix, atol=1e-12)
    assert shown["n_draws"] == 29281
    assert len(shown["top_graphs"]) == 3
    top = direct.top_graphs(1)[0]
    assert shown["top_graphs"][0]["probability"] == pytest.approx(top.probability)
    assert sorted(map(tuple, shown["top_graphs"][0]["edges"])) == sorted(top.edges(direct.nodes))


def test_fit_options_reach_the_sampler(tmp_path, csv_path):
    out = tmp_path / "post.npz"
    argv = ["fit", str(csv_path), "--out", str(out), "--no-standardize", "--max-parents", "1",
            "--forbid", "A:B", "--require", "A:E", "--tiers", "A;B,C,D,E", "--quiet"]
    assert main(argv) == 0
    post = cp.Posterior.load(out)
    assert post.info["score"]["standardize"] is False
    assert (post.adjacency.sum(axis=1) <= 1).all()
    assert (post.adjacency[:, 0, 1] == 0).all() and (post.adjacency[:, 0, 4] == 1).all()


def test_show_prints_a_table(tmp_path, csv_path, capsys):
    out = tmp_path / "post.npz"
    main(["fit", str(csv_path), "--out", str(out), "--quiet"])
    assert main(["show", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Top 5 graphs" in text and "A" in text


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        ("A,B\n1,2\n1,3\n1,4\n", [], "'A' is constant"),
        ("A,B\n1.5,2\nnan,3\n2.5,4\n", [], "NaN"),
        (None, [], "cannot read"),
        ("A,B\n1.5,2.1\n0.5,3.2\n2.5,4.7\n", ["--forbid", "A:Z"], "unknown node 'Z'"),
        ("A,B,C,D,E,F,G\n" + "\n".join(",".join(str((i * 7 + j * 3) % 11 + 0.5 * j)
                                              for j in range(7)) for i in range(30)),
         ["--sampler", "exact"], "at most 6"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, content, extra, message):
    path = tmp_path / "in.csv"
    if content is not None:
        path.write_text(content)
    code = main(["fit", str(path), "--out", str(tmp_path / "o.npz"), "--quiet", *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1


def test_show_rejects_non_posterior(tmp_path, capsys):
    path = tmp_path / "x.npz"
    path.write_bytes(b"junk")
    assert main(["show", str(path)]) == 2
    assert "not a causalpost posterior" in capsys.readouterr().err


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "fit" in text and "show" in text


@pytest.mark.parametrize("kind", ["edges", "graph", "top"])
def test_plot_writes_an_image(tmp_path, csv_path, kind):
    post = tmp_path / "post.npz"
    main(["fit", str(csv_path), "--out", str(post), "--quiet"])
    out = tmp_path / f"{kind}.png"
    assert main(["plot", str(post), "--kind", kind, "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_trace_of_exact_posterior_is_a_clear_error(tmp_path, csv_path, capsys):
    post = tmp_path / "post.npz"
    main(["fit", str(csv_path), "--out", str(post), "--quiet"])
    assert main(["plot", str(post), "--kind", "trace", "--out", str(tmp_path / "t.png")]) == 2
    assert "trace" in capsys.readouterr().err


def test_gfn_sampler_is_saved_and_reloads(tmp_path, csv_path):
    from causalpost.samplers.gflownet.sampler import GFlowNetSampler

    saved = tmp_path / "gfn.pt"
    argv = ["fit", str(csv_path), "--out", str(tmp_path / "p.npz"), "--sampler", "gfn",
            "--gfn-steps", "50", "--n-draws", "20", "--save-sampler", str(saved), "--quiet"]
    assert main(argv) == 0
    sampler = GFlowNetSampler.load(saved)
    draws = sampler.sample(10, seed=0)
    assert draws.shape == (10, 5, 5)
    assert np.array_equal(draws, sampler.sample(10, seed=0))


def test_save_sampler_needs_a_saveable_sampler(tmp_path, csv_path, capsys):
    argv = ["fit", str(csv_path), "--out", str(tmp_path / "p.npz"),
            "--save-sampler", str(tmp_path / "x.pt"), "--quiet"]
    assert main(argv) == 2
    assert "gfn" in capsys.readouterr().err


def test_search_space_and_anneal_reach_the_mcmc_sampler(tmp_path, csv_path, capsys):
    from causalpost.posterior import Posterior

    out = tmp_path / "p.npz"
    argv = ["fit", str(csv_path), "--out", str(out), "--sampler", "partition", "--n-draws", "50",
            "--search-space", "pcor", "--anneal", "0.1", "--n-chains", "1", "--quiet"]
    assert main(argv) == 0
    assert Posterior.load(out).diagnostics["search_space"] == "pcor"
    bad = argv[:-3] + ["--anneal", "2", "--quiet"]
    assert main(bad) == 2
    assert "anneal" in capsys.readouterr().err


def test_no_plus_one_reaches_order_mcmc_and_is_refused_by_partition(tmp_path, csv_path,
                                                                     capsys):
    """Order MCMC on a restricted space samples the plus-one space unless --no-plus-one
    (recorded in the file); partition MCMC takes no such option: exit 2, one line."""
    import warnings

    from causalpost.errors import SearchSpaceWarning
    from causalpost.posterior import Posterior

    frame = chain_frame(150, seed=4)
    noise = np.random.default_rng(0).normal(size=(150, 20))  # more than expansion takes in
    frame[[f"N{k}" for k in range(20)]] = noise
    frame.to_csv(csv_path, index=False)
    out = tmp_path / "p.npz"
    argv = ["fit", str(csv_path), "--out", str(out), "--sampler", "order", "--n-draws", "50",
            "--search-space", "best", "--max-candidates", "1", "--max-parents", "2",
            "--n-chains", "1", "--quiet"]
    for extra, sampled in (([], True), (["--no-plus-one"], False)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SearchSpaceWarning)
            assert main(argv + extra) == 0
        diagnostics = Posterior.load(out).diagnostics
        has_outsiders = (np.asarray(diagnostics["candidates"]) == 0).sum(axis=0) > 1
        assert has_outsiders.any()
        nodes = diagnostics["plus_one_nodes"]
        assert nodes.shape == (25,) and (nodes == (has_outsiders & sampled)).all()
        capsys.readouterr()
        assert main(["show", str(out)]) == 0
        shown = capsys.readouterr().out
        assert "search space: best" in shown
        assert (f"{int(nodes.sum())} of 25 nodes may also take one parent" in shown) is sampled
    capsys.readouterr()
    argv[argv.index("order")] = "partition"
    assert main(argv + ["--no-plus-one"]) == 2
    err = capsys.readouterr().err.strip()
    assert "plus_one" in err and len(err.splitlines()) == 1
