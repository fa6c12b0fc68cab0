"""safefs: writes below a root never follow a symlink, temp files never outlive a failed write."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from zenboard import safefs


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file outside every root, that no write may reach."""
    path = tmp_path / "victim.txt"
    path.write_text("precious\n")
    return path


def _temp_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_a_symlinked_directory_below_the_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "project"
    outside = tmp_path / "outside"
    outside.mkdir()
    root.mkdir()
    (root / "reports").symlink_to(outside)
    with pytest.raises(safefs.SymlinkRefused) as caught:
        safefs.write_atomic(root / "reports" / "latest" / "summary.json", "{}", root=root)
    assert caught.value.filename == str(root / "reports")
    assert list(outside.iterdir()) == []


def test_a_symlinked_target_is_refused_and_the_file_it_names_is_unchanged(
    tmp_path: Path, victim: Path
) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "summary.json").symlink_to(victim)
    with pytest.raises(safefs.SymlinkRefused):
        safefs.write_atomic(tmp_path / "out" / "summary.json", "{}")
    assert victim.read_text() == "precious\n"
    assert (tmp_path / "out" / "summary.json").is_symlink()
    assert _temp_files(tmp_path / "out") == []


def test_a_symlink_above_the_root_is_followed(tmp_path: Path) -> None:
    """`/tmp -> /private/tmp`, a home on a linked volume: the user's own layout."""
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "linked").symlink_to(real)
    root = tmp_path / "linked" / "project"
    safefs.write_atomic(root / "sub" / "file.txt", "written\n", root=root)
    assert (real / "project" / "sub" / "file.txt").read_text() == "written\n"


def test_a_planted_temp_name_is_not_followed(
    tmp_path: Path, victim: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link at the very name the temp file gets: O_EXCL|O_NOFOLLOW fails, nothing follows."""
    monkeypatch.setattr("zenboard.safefs.secrets.token_hex", lambda _n: "abcdef")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".summary.json.abcdef.tmp").symlink_to(victim)
    with pytest.raises(FileExistsError) as caught:
        safefs.write_atomic(out / "summary.json", "{}")
    assert caught.value.errno == errno.EEXIST
    assert victim.read_text() == "precious\n"
    assert not (out / "summary.json").exists()


def test_a_failed_write_leaves_no_temp_file_and_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "summary.json"
    target.write_text("old\n")

    def full_disk(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("zenboard.safefs.os.replace", full_disk)
    with pytest.raises(OSError, match="No space left") as caught:
        safefs.write_atomic(target, "new\n")
    assert caught.value.errno == errno.ENOSPC
    assert caught.value.filename == str(target)
    assert safefs.describe(caught.value) == f"{target}: No space left on device"
    assert target.read_text() == "old\n"
    assert _temp_files(tmp_path) == []


def test_text_utf8_cannot_hold_is_a_failed_write_not_a_traceback(tmp_path: Path) -> None:
    target = tmp_path / "report.xml"
    target.write_text("old\n")
    with pytest.raises(OSError, match="UTF-8") as caught:
        safefs.write_atomic(target, "lone \ud800 surrogate")
    assert caught.value.errno == errno.EILSEQ
    assert "UTF-8" in safefs.describe(caught.value)
    assert target.read_text() == "old\n"
    assert _temp_files(tmp_path) == []


def test_the_mode_is_the_one_asked_for_less_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        safefs.write_atomic(tmp_path / "a", "x", mode=0o640)
        safefs.write_atomic(tmp_path / "b", "x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "b").stat().st_mode) == 0o644


def test_open_below_refuses_a_linked_file_and_a_linked_directory(
    tmp_path: Path, victim: Path
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "history.db").symlink_to(victim)
    (root / "linked").symlink_to(tmp_path)
    flags = os.O_RDWR | os.O_CREAT
    with pytest.raises(safefs.SymlinkRefused):
        safefs.open_below(root / "history.db", flags, root)
    with pytest.raises(safefs.SymlinkRefused):
        safefs.open_below(root / "linked" / "victim.txt", flags, root)
    fd = safefs.open_below(root / "state" / "ports.lock", flags, root)
    os.close(fd)
    assert (root / "state" / "ports.lock").is_file()
    assert victim.read_text() == "precious\n"


def test_check_no_links_finds_a_link_anywhere_below_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (root / "a" / "b").symlink_to(tmp_path)
    safefs.check_no_links(root / "a" / "missing" / "file", root)  # nothing there yet: fine
    with pytest.raises(safefs.SymlinkRefused) as caught:
        safefs.check_no_links(root / "a" / "b" / "file", root)
    assert caught.value.filename == str(root / "a" / "b")


def test_a_private_dir_of_the_user_is_accepted_and_a_missing_one_too(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    safefs.check_private_dir(state)
    safefs.check_private_dir(tmp_path / "not-made-yet")


def test_a_world_writable_state_dir_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    state.chmod(0o777)
    with pytest.raises(safefs.UnsafeDir) as caught:
        safefs.check_private_dir(state)
    assert "world-writable" in safefs.describe(caught.value)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a dir to another user")
def test_a_state_dir_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    os.chown(state, 12345, 12345)
    with pytest.raises(safefs.UnsafeDir) as caught:
        safefs.check_private_dir(state)
    assert "owned by uid 12345" in safefs.describe(caught.value)


def test_a_state_dir_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir(mode=0o700)
    (tmp_path / "state").symlink_to(tmp_path / "real")
    with pytest.raises(safefs.SymlinkRefused):
        safefs.check_private_dir(tmp_path / "state")
