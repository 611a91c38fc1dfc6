"""The shared file primitives: atomic writes leave nothing behind, names cannot escape, locks exclude."""

from __future__ import annotations

import json
import os

import pytest

from mteb_hybrid.files import (
    Timeout,
    UnsafePathError,
    ensure_under,
    folder_lock,
    safe_name,
    world_size,
    write_atomic,
    write_json_atomic,
)


def test_write_atomic_replaces_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "sub" / "a.json"
    write_json_atomic(target, {"b": 1, "a": [1, 2]})
    write_atomic(target, "second")
    assert target.read_text() == "second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.json"]


def test_write_atomic_gives_the_permissions_of_a_plain_write(tmp_path):
    umask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "new.txt", "x")
        assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o644  # 0o666 less the umask, not mkstemp's 0o600
        (tmp_path / "old.txt").write_text("x")
        os.chmod(tmp_path / "old.txt", 0o640)
        write_atomic(tmp_path / "old.txt", "y")
        assert (tmp_path / "old.txt").stat().st_mode & 0o777 == 0o640  # an existing file keeps its mode
    finally:
        os.umask(umask)


def test_write_atomic_failure_keeps_old_file_and_removes_temp(tmp_path):
    target = tmp_path / "a.json"
    write_json_atomic(target, {"kept": True})

    def broken_writer(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_atomic(target, broken_writer)
    assert json.loads(target.read_text()) == {"kept": True}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


@pytest.mark.parametrize("bad", ["../x", "..", ".", "", "a/b", ".hidden", "a\\b", "x" * 129, "a b"])
def test_safe_name_refuses_path_like_names(bad):
    with pytest.raises(UnsafePathError, match="cannot be used as a folder name"):
        safe_name(bad, "model name")


@pytest.mark.parametrize("good", ["hybrid-me5-small", "x-y_s2", "1571fc982750-c1", "v1.2+local"])
def test_safe_name_accepts_ordinary_names(good):
    assert safe_name(good, "cell id") == good


def test_ensure_under_refuses_escapes_including_symlinks(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    assert ensure_under(root, root / "a" / "b") == (root / "a" / "b").resolve()
    with pytest.raises(UnsafePathError, match="outside"):
        ensure_under(root, root / ".." / "x")
    os.symlink(tmp_path, root / "link")
    with pytest.raises(UnsafePathError, match="outside"):
        ensure_under(root, root / "link" / "x")


def test_folder_lock_excludes_a_second_holder(tmp_path):
    with folder_lock(tmp_path / "cell"):
        with pytest.raises(Timeout):
            with folder_lock(tmp_path / "cell"):
                pass
    with folder_lock(tmp_path / "cell"):  # released: can be taken again
        pass


def test_world_size_reads_the_environment(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "4")
    assert world_size() == 4
    monkeypatch.delenv("WORLD_SIZE")
    assert world_size() == 1
