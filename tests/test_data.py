import numpy as np
import pandas as pd
import pytest

import causalpost as cp
from causalpost.errors import DataError


def write(tmp_path, text: str):
    path = tmp_path / "data.csv"
    path.write_text(text)
    return path


def test_kinds_are_detected_and_overridable():
    frame = pd.DataFrame({"x": [0.1, 0.2, 0.5, 0.9], "n": [1, 2, 1, 2], "s": list("abab")})
    data = cp.from_pandas(frame)
    assert data.kinds == ("continuous", "discrete", "discrete")
    assert data.levels[2] == ("a", "b")
    data = cp.from_pandas(frame, kinds={"n": "continuous"})
    assert data.kinds[1] == "continuous"
    assert data.values[:, 1].tolist() == [1, 2, 1, 2]


def test_discrete_codes_follow_sorted_levels():
    data = cp.from_pandas(pd.DataFrame({"s": ["b", "a", "c", "a"], "t": [3, 1, 2, 2]}))
    assert data.levels == (("a", "b", "c"), ("1", "2", "3"))
    assert data.codes().tolist() == [[1, 2], [0, 0], [2, 1], [0, 1]]


def test_integers_with_many_levels_are_continuous():
    data = cp.from_pandas(pd.DataFrame({"n": np.arange(50)}), max_levels=10)
    assert data.kinds == ("continuous",)


def test_csv_round_trip(tmp_path):
    data = cp.load_csv(write(tmp_path, "A,B\n1.5,x\n2.5,y\n0.5,x\n"))
    assert data.names == ("A", "B") and data.n_obs == 3
    assert data.to_pandas()["B"].tolist() == ["x", "y", "x"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A,B\n1,2\nnan,3\n4,5\n", "'A'.*NaN"),
        ("A,B\n1.0,2\ninf,3\n4.2,5\n", "'A'.*inf"),
        ("A,B\n1.5,2\n1.5,3\n1.5,5\n", "'A' is constant"),
        ("A,B\n1.5,2\n", "at least 2"),
        ("A,B\n1.5,2\nabc,3\n4.5,5\n2.5,1\n", "'A'.*non-numeric value 'abc'"),
        ("A,A\n1.5,2\n2.5,3\n", "duplicate column name 'A'"),
        ("A,\n1.5,2\n2.5,3\n", "column 2 has an empty name"),
        ("", "empty"),
        ("A,B\n", "at least 2"),
    ],
)
def test_bad_tables_give_one_line_errors(tmp_path, text, message):
    with pytest.raises(DataError, match=message) as info:
        cp.load_csv(write(tmp_path, text))
    assert "\n" not in str(info.value)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(DataError, match="cannot read"):
        cp.load_csv(tmp_path / "nope.csv")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00\x00garbage")
    with pytest.raises(DataError):
        cp.load_csv(binary)


def test_continuous_override_on_text_column_fails_clearly():
    frame = pd.DataFrame({"s": ["a", "b", "a"], "x": [0.1, 0.3, 0.2]})
    with pytest.raises(DataError, match="'s'.*non-numeric"):
        cp.from_pandas(frame, kinds={"s": "continuous"})


def test_unknown_kind_and_column():
    frame = pd.DataFrame({"x": [0.1, 0.3, 0.2]})
    with pytest.raises(DataError, match="unknown kind"):
        cp.from_pandas(frame, kinds={"x": "ordinal"})
    with pytest.raises(DataError, match="unknown column 'y'"):
        cp.from_pandas(frame, kinds={"y": "discrete"})


def test_mixed_kinds_rejected_by_scores():
    frame = pd.DataFrame({"x": [0.1, 0.3, 0.2, 0.7], "s": ["a", "b", "a", "b"]})
    data = cp.from_pandas(frame)
    with pytest.raises(DataError, match="BGe score needs continuous.*'s'"):
        cp.fit(data, score="bge")
    with pytest.raises(DataError, match="BDeu score needs discrete.*'x'"):
        cp.fit(data, score="bdeu")


def test_from_numpy_checks_shape_and_names():
    with pytest.raises(DataError, match="2-D"):
        cp.from_numpy(np.zeros(3))
    with pytest.raises(DataError, match="2 names given for 3 columns"):
        cp.from_numpy(np.random.default_rng(0).normal(size=(4, 3)), ["a", "b"])


def test_dataset_is_read_only(chain_data):
    with pytest.raises(ValueError):
        chain_data.values[0, 0] = 1.0
