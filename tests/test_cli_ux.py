"""What a new user meets first: help texts, messages and output of the command line."""

from __future__ import annotations

import re
import warnings

import pytest

from causalpost_cli import main


def _help(capsys, *command: str) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    return " ".join(capsys.readouterr().out.split())  # unwrap argparse's line breaks


@pytest.mark.parametrize("command", [("fit",), ("show",)])
def test_help_shows_no_empty_or_doubled_defaults(capsys, command) -> None:
    text = _help(capsys, *command)
    assert "(default: None)" not in text
    assert "(default: False)" not in text
    assert "(default: [])" not in text
    # a help text that states its default is not given a second one
    assert not re.search(r"\(default [^)]*\) \(default:", text)


def test_fit_help_shows_meaningful_defaults_and_every_option_is_explained(capsys) -> None:
    text = _help(capsys, "fit")
    assert "(default: auto)" in text
    assert "(default: 0)" in text  # --seed
    assert "(default: sparse)" in text
    assert "--seed SEED random seed" in text
    assert "--max-parents MAX_PARENTS at most" in text


@pytest.fixture
def fitted(tmp_path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    csv = tmp_path / "d.csv"
    pd.DataFrame({"X": x, "Y": 0.9 * x + 0.3 * rng.normal(size=200),
                  "Z": rng.normal(size=200)}).to_csv(csv, index=False)
    out = tmp_path / "p.npz"
    return csv, out


def test_fit_prints_the_convergence_summary_with_its_time(fitted, capsys) -> None:
    csv, out = fitted
    assert main(["fit", str(csv), "--out", str(out), "--sampler", "mcmc", "--n-draws", "200",
                 "--max-seconds", "20", "--quiet"]) == 0
    printed = capsys.readouterr().out
    line = next(x for x in printed.splitlines() if x.startswith("diagnostics: "))
    assert "converged " in line and "rhat_log_score" in line and " seconds " in line


def test_show_does_not_claim_zero_seconds_for_a_file_without_times(fitted, capsys) -> None:
    import json

    csv, out = fitted
    assert main(["fit", str(csv), "--out", str(out), "--sampler", "exact", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["show", str(out)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("diagnostics"))
    assert "seconds" not in line and "converged True" in line
    assert main(["show", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["diagnostics"]["seconds"] is None


def test_posterior_repr_stays_short_on_many_nodes() -> None:
    import numpy as np

    from causalpost.posterior import Posterior

    names = [f"NODE{i:02d}" for i in range(37)]
    post = Posterior(names, np.zeros((3, 37, 37), dtype=np.uint8))
    text = repr(post)
    assert len(text) < 150 and "(37 nodes)" in text and "'NODE36'" in text
    small = repr(Posterior(["A", "B"], np.zeros((1, 2, 2), dtype=np.uint8)))
    assert "nodes=['A', 'B']" in small


def test_evaluate_against_a_cyclic_truth_prints_no_none(fitted, tmp_path, capsys) -> None:
    csv, out = fitted
    assert main(["fit", str(csv), "--out", str(out), "--sampler", "exact", "--quiet"]) == 0
    truth = tmp_path / "truth.csv"
    truth.write_text("from,to\nX,Y\nY,X\n")
    capsys.readouterr()
    assert main(["evaluate", str(out), "--truth", str(truth), "--data", str(csv)]) == 0
    printed = capsys.readouterr().out
    assert "None" not in printed
    assert "baseline: empty graph      SHD 2, CPDAG SHD n/a (cyclic truth)" in printed
    assert "CPDAG SHD n/a (cyclic truth), " in printed  # PC


def test_fit_on_a_wide_table_summarises_the_column_kinds(tmp_path) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    table = {f"C{i:02d}": rng.normal(size=60) for i in range(15)}
    table.update({f"D{i:02d}": rng.integers(0, 2, size=60) for i in range(14)})
    csv = tmp_path / "wide.csv"
    pd.DataFrame(table).to_csv(csv, index=False)
    from causalpost.cli import _columns_line
    from causalpost.data import load_csv

    line = _columns_line(load_csv(csv))
    assert "continuous: C00, C01" in line and "C11 and 3 more" in line
    assert "D11 and 2 more" in line and "D13" not in line
    discrete = tmp_path / "discrete.csv"
    pd.DataFrame({k: v for k, v in table.items() if k.startswith("D")}).to_csv(discrete,
                                                                              index=False)
    assert "levels): all 14 (override" in _columns_line(load_csv(discrete))


def test_bge_on_a_discrete_table_says_which_flags_help(tmp_path, capsys) -> None:
    csv = tmp_path / "d.csv"
    csv.write_text("A,B\n" + "\n".join(f"{'xy'[i % 2]},{'uvw'[i % 3]}" for i in range(30)) + "\n")
    assert main(["fit", str(csv), "--out", str(tmp_path / "p.npz"), "--score", "bge"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "--continuous COL" in err and "--score bdeu" in err


@pytest.mark.parametrize("command", ["fit", "show"])
def test_json_output_is_strict_json_for_an_exact_posterior(fitted, capsys, command) -> None:
    import json

    csv, out = fitted
    argv = ["fit", str(csv), "--out", str(out), "--sampler", "exact", "--quiet"]
    assert main([*argv, "--json"] if command == "fit" else argv) == 0
    if command == "show":
        capsys.readouterr()
        assert main(["show", str(out), "--json"]) == 0
    text = capsys.readouterr().out.strip().splitlines()[-1]

    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    diagnostics = json.loads(text, parse_constant=refuse)["diagnostics"]
    assert diagnostics["ess_log_score"] is None  # infinite for exact weights


def test_not_converged_advice_is_given_once_and_agrees(tmp_path, capsys) -> None:
    import numpy as np
    import pandas as pd

    from causalpost.errors import ChainDisagreementWarning

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 6))
    x[:, 1:] += x[:, :1]
    csv = tmp_path / "six.csv"
    pd.DataFrame(x, columns=list("ABCDEF")).to_csv(csv, index=False)
    argv = ["fit", str(csv), "--out", str(tmp_path / "p.npz"), "--sampler", "partition",
            "--n-draws", "20000", "--max-seconds", "0.01", "--quiet"]
    with warnings.catch_warnings():  # the CLI prints warnings itself, one line each
        warnings.simplefilter("always", ChainDisagreementWarning)
        assert main(argv) == 0
    captured = capsys.readouterr()
    warned = next(x for x in captured.err.splitlines() if x.startswith("causalpost: warning"))
    suggested = re.search(r"--max-seconds (\S+)\)", warned).group(1)
    assert f"next: causalpost fit {csv}" in captured.err
    assert captured.err.strip().endswith(f"--max-seconds {suggested}")
    assert captured.out.splitlines()[0].startswith("read 300 rows x 6 columns")


def test_fit_says_how_columns_were_read_before_the_work(fitted, capsys, monkeypatch) -> None:
    import causalpost.api

    csv, out = fitted
    real = causalpost.api.make_sampler

    def make_sampler(**kwargs):
        sampler = real(**kwargs)
        fit = sampler.fit

        def fit_and_look(data):
            assert "read 200 rows x 3 columns" in capsys.readouterr().out  # already printed
            return fit(data)

        sampler.fit = fit_and_look
        return sampler

    monkeypatch.setattr(causalpost.api, "make_sampler", make_sampler)
    assert main(["fit", str(csv), "--out", str(out), "--sampler", "exact", "--quiet"]) == 0
    assert "wrote " in capsys.readouterr().out


def test_guard_and_plan_say_which_files_they_wrote(tmp_path, capsys) -> None:
    from causalpost.datasets import datasets_dir

    root = datasets_dir()
    post = tmp_path / "dosing.npz"
    assert main(["fit", str(root / "dosing" / "dosing.csv"), "--out", str(post),
                 "--quiet"]) == 0
    md, png = tmp_path / "g.md", tmp_path / "g.png"
    capsys.readouterr()
    main(["guard", str(post), "--action", "Dose=3.5", "--harm", "Toxicity>2.5",
          "--markdown", str(md), "--plot", str(png)])
    printed = capsys.readouterr().out
    assert f"wrote {md}" in printed and f"wrote {png}" in printed and md.exists()

    design = root / "designs" / "recommender.json"
    data = root / "recommender" / "recommender.csv"
    rec = tmp_path / "rec.npz"
    assert main(["fit", str(data), "--out", str(rec), "--design", str(design), "--n-draws", "200",
                 "--quiet"]) == 0
    eig = tmp_path / "eig.png"
    capsys.readouterr()
    assert main(["plan", str(design), "--posterior", str(rec), "--data", str(data),
                 "--n-sims", "4", "--n-rows", "20", "--candidates", "Clicks,Opinion",
                 "--plot", str(eig), "--quiet"]) == 0
    assert f"wrote {eig}" in capsys.readouterr().out and eig.exists()


def test_an_unknown_name_in_a_wide_table_gets_a_short_line_and_a_suggestion(tmp_path,
                                                                           capsys) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    names = [f"NODE{i:02d}" for i in range(30)]
    frame = pd.DataFrame(rng.normal(size=(40, 30)), columns=names)
    frame["INT"] = ""
    csv = tmp_path / "wide.csv"
    frame.to_csv(csv, index=False)
    out = str(tmp_path / "p.npz")
    for extra, suggestion in ((["--intervention-column", "int"], "did you mean 'INT'?"),
                              (["--intervention-column", "INT", "--forbid", "NODE01:NDOE02"],
                               "did you mean 'NODE02'")):
        assert main(["fit", str(csv), "--out", out, "--quiet", *extra]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and suggestion in err
        assert re.search(r"'NODE11'\] and 1[89] more; did you mean", err)


def test_show_on_a_large_diffuse_posterior_says_no_graph_stands_out(tmp_path, capsys) -> None:
    import numpy as np

    from causalpost.posterior import Posterior

    d, n = 16, 40
    names = [f"V{i:02d}" for i in range(d)]
    chain = np.zeros((d, d), dtype=np.uint8)
    chain[np.arange(d - 1), np.arange(1, d)] = 1  # 15 edges
    draws = np.repeat(chain[None], n, axis=0)
    for k in range(n):  # one extra edge each: every draw a different graph
        draws[k, k % (d - 2), k % (d - 2) + 2] = 1 if k < d - 2 else 0
        draws[k, 0, d - 1] = 1 if k >= d - 2 else 0
        draws[k, 1, d - 1] = 1 if k >= 2 * (d - 2) else 0
    adjacency = np.unique(draws, axis=0)
    path = tmp_path / "p.npz"
    Posterior(names, adjacency).save(path)
    capsys.readouterr()
    assert main(["show", str(path), "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert f"each of the {len(adjacency)} draws is a different graph" in out
    assert "  consensus (P > 0.5), 15 edges: " in out  # the chain, listed once
    second = next(x for x in out.splitlines() if x.strip().startswith("2. p="))
    edge = r"[+-]V\d\d->V\d\d"
    assert re.fullmatch(rf"  2\. p={1 / len(adjacency):.4f}  {edge}(, {edge})?", second)


def test_evaluate_says_pc_pools_interventional_rows(tmp_path, capsys) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    y = 0.8 * x + 0.5 * rng.normal(size=300)
    frame = pd.DataFrame({"X": x, "Y": y, "Z": rng.normal(size=300),
                          "INT": ["Y" if i % 3 == 0 else "" for i in range(300)]})
    csv = tmp_path / "i.csv"
    frame.to_csv(csv, index=False)
    truth = tmp_path / "t.csv"
    truth.write_text("from,to\nX,Y\n")
    out = tmp_path / "p.npz"
    assert main(["fit", str(csv), "--out", str(out), "--intervention-column", "INT",
                 "--sampler", "exact", "--quiet"]) == 0
    capsys.readouterr()
    argv = ["evaluate", str(out), "--truth", str(truth), "--data", str(csv)]
    assert main([*argv, "--intervention-column", "INT"]) == 0
    assert "all rows pooled: PC ignores the interventions" in capsys.readouterr().out
