"""The table of bad input (issue 16): what a hostile or careless user hands the
command line, and what each gets back.

Each row: an id, the files it needs, the command, the exit code and a fragment
of the one-line message. Every row must end in that code with exactly one line
on standard error and no traceback; nothing is silently accepted. The README's
"What bad input gets" section counts these rows.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from causalpost.posterior import FORMAT
from causalpost_cli import main

CSV = "A,B,C\n" + "\n".join(
    f"{a:.4f},{2 * a + e:.4f},{a - e:.4f}"
    for a, e in zip(np.random.default_rng(0).normal(size=60),
                    np.random.default_rng(1).normal(size=60))) + "\n"
DESIGN = {"decisions": {"D": {"observes": ["A"], "affects": ["B"]}},
          "utilities": {"U": {"parents": ["C"]}}}
CID = {"edges": [["S", "D"], ["D", "U"], ["S", "U"]], "decisions": ["D"], "utilities": ["U"]}


def _npz(adjacency=None, log_weights=None, header=None, **arrays) -> bytes:
    """A posterior file's bytes, built by hand."""
    import io

    adjacency = np.zeros((2, 3, 3), np.uint8) if adjacency is None else np.asarray(adjacency)
    if log_weights is None:
        log_weights = np.full(adjacency.shape[0], -np.log(adjacency.shape[0]))
    head = {"format": FORMAT, "nodes": ["A", "B", "C"], "exact": False, "info": {},
            "diagnostics": {}}
    head.update(header or {})
    buffer = io.BytesIO()
    np.savez_compressed(buffer, adjacency=adjacency, log_weights=np.asarray(log_weights),
                        header=np.array(json.dumps(head)), **arrays)
    return buffer.getvalue()


def _cyclic() -> np.ndarray:
    adj = np.zeros((2, 3, 3), np.uint8)
    adj[:, 0, 1] = adj[:, 1, 2] = adj[:, 2, 0] = 1
    return adj


def _self_loop() -> np.ndarray:
    adj = np.zeros((2, 3, 3), np.uint8)
    adj[0, 1, 1] = 1
    return adj


GOOD = {"data.csv": CSV, "design.json": json.dumps(DESIGN), "cid.json": json.dumps(CID),
        "post.npz": _npz()}

# (id, extra files, argv, exit code, message fragment); {d} is the folder of the files
CASES = [
    # -- data files given to fit
    ("csv-missing", {}, ["fit", "{d}/none.csv", "--out", "{d}/p.npz"], 2, "no such file"),
    ("csv-empty", {"e.csv": ""}, ["fit", "{d}/e.csv", "--out", "{d}/p.npz"], 2, "is empty"),
    ("csv-folder", {}, ["fit", "{d}", "--out", "{d}/p.npz"], 2, "is a directory"),
    ("csv-binary", {"b.csv": b"\xff\xfe\x00\x01garbage"}, ["fit", "{d}/b.csv", "--out",
                                                         "{d}/p.npz"], 2, "cannot read"),
    ("csv-nan", {"n.csv": "A,B\n1.5,2\nnan,3\n2.5,4\n"}, ["fit", "{d}/n.csv", "--out",
                                                         "{d}/p.npz"], 2, "NaN"),
    ("csv-constant", {"c.csv": "A,B\n1,2.5\n1,3.1\n1,4.2\n"}, ["fit", "{d}/c.csv", "--out",
                                                              "{d}/p.npz"], 2, "constant"),
    ("csv-one-row", {"r.csv": "A,B\n1,2\n"}, ["fit", "{d}/r.csv", "--out", "{d}/p.npz"], 2,
     "at least 2"),
    ("csv-duplicate-names", {"u.csv": "A,A\n1.5,2\n2.5,1\n"}, ["fit", "{d}/u.csv", "--out",
                                                               "{d}/p.npz"], 2, "duplicate"),
    ("csv-text-in-numbers", {"t.csv": "A,B\n1.5,2\n2.5,x\n3.5,4\n4.5,5\n"},
     ["fit", "{d}/t.csv", "--out", "{d}/p.npz"], 2, "non-numeric value 'x'"),
    ("csv-huge-values", {"h.csv": "A,B\n1e307,2\n-1e307,3\n5e306,1\n"},
     ["fit", "{d}/h.csv", "--out", "{d}/p.npz"], 2, "too large"),
    ("csv-ragged", {"g.csv": "A,B\n1.5,2\n2.5,1,7,8\n"}, ["fit", "{d}/g.csv", "--out",
                                                         "{d}/p.npz"], 2, "cannot parse"),
    # -- options of fit
    ("out-is-data", {}, ["fit", "{d}/data.csv", "--out", "{d}/data.csv"], 2,
     "is the input file"),
    ("out-missing-folder", {}, ["fit", "{d}/data.csv", "--out", "{d}/no/p.npz"], 2,
     "does not exist"),
    ("out-is-folder", {}, ["fit", "{d}/data.csv", "--out", "{d}"], 2, "is a directory"),
    ("out-read-only-fs", {}, ["fit", "{d}/data.csv", "--out", "/proc/p.npz"], 2,
     "not writable"),
    ("seed-negative", {}, ["fit", "{d}/data.csv", "--out", "{d}/p.npz", "--seed", "-1"], 2,
     "seed must be"),
    ("n-draws-zero", {}, ["fit", "{d}/data.csv", "--out", "{d}/p.npz", "--sampler", "mcmc",
                          "--n-draws", "0"], 2, "n_draws must be >= 1"),
    ("n-draws-10^12", {}, ["fit", "{d}/data.csv", "--out", "{d}/p.npz", "--sampler", "mcmc",
                           "--n-draws", str(10**12)], 2, "ask for fewer draws"),
    ("n-chains-zero", {}, ["fit", "{d}/data.csv", "--out", "{d}/p.npz", "--sampler", "mcmc",
                           "--n-chains", "0"], 2, "n_chains"),
    ("max-parents-negative", {}, ["fit", "{d}/data.csv", "--out", "{d}/p.npz",
                                  "--max-parents", "-1"], 2, "max_parents"),
    ("ess-on-bge", {}, ["fit", "{d}/data.csv", "--out", "{d}/p.npz", "--ess", "3"], 2,
     "does not take"),
    ("bdeu-on-continuous", {}, ["fit", "{d}/data.csv", "--out", "{d}/p.npz", "--score",
                                "bdeu"], 2, "discrete"),
    ("forbid-unknown-node", {}, ["fit", "{d}/data.csv", "--out", "{d}/p.npz", "--forbid",
                                 "A:Z"], 2, "unknown node 'Z'"),
    ("require-a-cycle", {}, ["fit", "{d}/data.csv", "--out", "{d}/p.npz", "--require", "A:B",
                             "B:A"], 2, "cycle"),
    ("save-sampler-not-gfn", {}, ["fit", "{d}/data.csv", "--out", "{d}/p.npz",
                                  "--save-sampler", "{d}/s.pt"], 2, "can be saved"),
    ("save-sampler-is-out", {}, ["fit", "{d}/data.csv", "--out", "{d}/p.npz", "--sampler",
                                 "gfn", "--save-sampler", "{d}/p.npz"], 2, "same file"),
    ("design-missing", {}, ["fit", "{d}/data.csv", "--out", "{d}/p.npz", "--design",
                            "{d}/none.json"], 2, "no such file"),
    # -- posterior files given to show / plot / audit
    ("npz-missing", {}, ["show", "{d}/none.npz"], 2, "no such file"),
    ("npz-not-zip", {"x.npz": b"not a zip"}, ["show", "{d}/x.npz"], 2,
     "not a causalpost posterior"),
    ("npz-foreign", {"f.npz": "FOREIGN"}, ["show", "{d}/f.npz"], 2, "not a causalpost"),
    ("npz-cycle", {"c.npz": _npz(_cyclic())}, ["show", "{d}/c.npz"], 2, "not acyclic"),
    ("npz-self-loop", {"s.npz": _npz(_self_loop())}, ["show", "{d}/s.npz"], 2, "self-loop"),
    ("npz-entry-2", {"e.npz": _npz(np.full((1, 3, 3), 2, np.uint8) * np.triu(
        np.ones((3, 3), np.uint8), 1))}, ["show", "{d}/e.npz"], 2, "0 or 1"),
    ("npz-weights-41", {"w.npz": _npz(log_weights=[np.log(40.0), np.log(1.0)])},
     ["show", "{d}/w.npz"], 2, "sum to 41"),
    ("npz-weights-nan", {"w.npz": _npz(log_weights=[np.nan, 0.0])}, ["show", "{d}/w.npz"], 2,
     "NaN"),
    ("npz-name-dict", {"n.npz": _npz(header={"nodes": [{"x": 1}, "B", "C"]})},
     ["show", "{d}/n.npz"], 2, "not a non-empty string"),
    ("npz-name-none", {"n.npz": _npz(header={"nodes": [None, "B", "C"]})},
     ["show", "{d}/n.npz"], 2, "not a non-empty string"),
    ("npz-names-short", {"n.npz": _npz(header={"nodes": ["A", "B"]})}, ["show", "{d}/n.npz"],
     2, "expected (n_draws, 2, 2)"),
    ("npz-exact-string", {"n.npz": _npz(header={"exact": "no"})}, ["show", "{d}/n.npz"], 2,
     "'exact'"),
    ("npz-deep-header", {"n.npz": "DEEP"}, ["show", "{d}/n.npz"], 2, "nested too deeply"),
    ("npz-10^12-shape", {"n.npz": "HUGE"}, ["show", "{d}/n.npz"], 2, "declares shape"),
    ("npz-nan-weights-param", {"n.npz": _npz(param__weights=np.full((2, 3, 3), np.nan))},
     ["show", "{d}/n.npz"], 2, "must be finite"),
    ("plot-out-is-posterior", {}, ["plot", "{d}/post.npz", "--out", "{d}/post.npz"], 2,
     "is the input file"),
    ("plot-out-bad-extension", {}, ["plot", "{d}/post.npz", "--out", "{d}/p.txt"], 2,
     "use one of"),
    ("show-top-zero", {}, ["show", "{d}/post.npz", "--top", "0"], 2, "--top must be >= 1"),
    # -- design and CID JSON
    ("design-deep", {"x.json": "[" * 50_000 + "]" * 50_000},
     ["audit", "{d}/x.json", "--posterior", "{d}/post.npz"], 2, "nested too deeply"),
    ("design-5000-digits", {"x.json": '{"name": ' + "7" * 5000 + "}"},
     ["audit", "{d}/x.json", "--posterior", "{d}/post.npz"], 2, "not valid JSON"),
    ("design-not-object", {"x.json": "[1, 2]"},
     ["audit", "{d}/x.json", "--posterior", "{d}/post.npz"], 2, "JSON object"),
    ("design-unknown-key", {"x.json": json.dumps({**DESIGN, "oops": 1})},
     ["audit", "{d}/x.json", "--posterior", "{d}/post.npz"], 2, "unknown key 'oops'"),
    ("audit-html-is-design", {}, ["audit", "{d}/design.json", "--posterior", "{d}/post.npz",
                                  "--html", "{d}/design.json"], 2, "is the input file"),
    ("audit-html-folder", {}, ["audit", "{d}/design.json", "--posterior", "{d}/post.npz",
                               "--html", "{d}"], 2, "is a directory"),
    ("cid-deep", {"x.json": "[" * 50_000 + "]" * 50_000}, ["incentives", "{d}/x.json"], 2,
     "nested too deeply"),
    ("cid-5000-digits", {"x.json": "[" + "1" * 5000 + "]"}, ["incentives", "{d}/x.json"], 2,
     "not valid JSON"),
    ("cid-missing-key", {"x.json": json.dumps({"edges": []})}, ["incentives", "{d}/x.json"],
     2, "missing the key"),
    ("cid-cycle", {"x.json": json.dumps({"edges": [["A", "D"], ["D", "A"], ["D", "U"]],
                                         "decisions": ["D"], "utilities": ["U"]})},
     ["incentives", "{d}/x.json"], 2, "cycle"),
    ("demo-out-is-file", {}, ["demo", "--out", "{d}/data.csv"], 2, "not a directory"),
    ("demo-seed-negative", {}, ["demo", "--out", "{d}/demo", "--seed", "-1"], 2, "--seed >= 0"),
    ("demo-n-draws-zero", {}, ["demo", "--out", "{d}/demo", "--n-draws", "0"], 2,
     "--n-draws must be >= 1"),
]

# Read correctly, not refused (they were misread or refused before)
ACCEPTED = [
    ("csv-semicolons", {"s.csv": CSV.replace(",", ";")}, ["fit", "{d}/s.csv", "--out",
                                                          "{d}/p.npz", "--json"]),
    ("csv-tabs", {"s.csv": CSV.replace(",", "\t")}, ["fit", "{d}/s.csv", "--out", "{d}/p.npz",
                                                     "--json"]),
    ("csv-bom", {"s.csv": b"\xef\xbb\xbf" + CSV.encode()}, ["fit", "{d}/s.csv", "--out",
                                                            "{d}/p.npz", "--json"]),
]


def _special(name: str, content: str, path: Path) -> None:
    if content == "FOREIGN":
        np.savez(path, x=np.arange(3))
    elif content == "DEEP":
        np.savez(path, adjacency=np.zeros((1, 3, 3), np.uint8), log_weights=np.zeros(1),
                 header=np.array("[" * 100_000 + "]" * 100_000))
    elif content == "HUGE":
        import io
        import zipfile

        with zipfile.ZipFile(io.BytesIO(_npz())) as zf:
            members = {n: zf.read(n) for n in zf.namelist()}
        members["adjacency.npy"] = members["adjacency.npy"].replace(
            b"(2, 3, 3)", b"(1000000000000, 3, 3)")
        with zipfile.ZipFile(path, "w") as zf:
            for member, data in members.items():
                zf.writestr(member, data)


def _write(folder: Path, files: dict) -> None:
    for name, content in {**GOOD, **files}.items():
        path = folder / name
        if content in ("FOREIGN", "DEEP", "HUGE"):
            _special(name, content, path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


@pytest.mark.parametrize(("case", "files", "argv", "code", "fragment"), CASES,
                         ids=[c[0] for c in CASES])
def test_bad_input_gets_one_line_and_its_exit_code(tmp_path, capsys, case, files, argv, code,
                                                   fragment):
    if "/proc/" in " ".join(argv) and not Path("/proc").is_dir():
        pytest.skip("no /proc")
    _write(tmp_path, files)
    entries = sorted(p.name for p in tmp_path.iterdir())
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert main([a.format(d=tmp_path) for a in argv]) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert fragment in lines[0]
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert after == before, "a refused command changed or wrote files"
    assert sorted(p.name for p in tmp_path.iterdir()) == entries, "it created something"


@pytest.mark.parametrize(("case", "files", "argv"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_other_encodings_of_a_table_are_read_correctly(tmp_path, capsys, case, files, argv):
    _write(tmp_path, files)
    assert main([a.format(d=tmp_path) for a in argv + ["--quiet"]]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["nodes"] == ["A", "B", "C"]
