"""Writes through a temporary name: the target appears whole or not at all."""

import gzip
import json

import numpy as np
import pytest

from mlparams.atomic_files import replacing, write_json, write_text


def test_write_text_and_json_create_folders_and_leave_no_temporary(tmp_path):
    text = write_text(tmp_path / "a" / "b.md", "line\n")
    assert text.read_text() == "line\n"
    js = write_json(tmp_path / "a" / "c.json", {"x": 1.5}, indent=None)
    assert js.read_text() == '{"x": 1.5}\n'
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["b.md", "c.json"]


def test_gz_names_are_compressed(tmp_path):
    path = write_json(tmp_path / "frames.json.gz", [1, 2, 3])
    with gzip.open(path, "rt") as fh:
        assert json.load(fh) == [1, 2, 3]


def test_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    path = write_text(tmp_path / "result.csv", "old\n")
    with pytest.raises(RuntimeError):
        with replacing(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["result.csv"]


def test_temporary_keeps_the_suffix_for_format_sniffing_writers(tmp_path):
    target = tmp_path / "arrays.npz"
    with replacing(target) as tmp:
        assert tmp.suffix == ".npz" and tmp != target and tmp.parent == target.parent
        np.savez(tmp, x=np.arange(3))  # numpy appends ".npz" to any other name
    assert np.load(target)["x"].tolist() == [0, 1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["arrays.npz"]
