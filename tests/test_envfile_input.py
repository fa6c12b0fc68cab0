"""`.env.task` is untrusted input: no control character, no shell variable, no symlink, no eval risk.

A hostile or damaged `.env.task` (a planted file, a paste with escape sequences) is refused with
one line naming the file and line, exit 2 and no traceback, before anything runs or is written;
`eval "$(zenboard ports --env)"` sets exactly the task's values and runs nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zenboard.cli import main
from zenboard.errors import InputError
from zenboard.tasks.envfile import (
    MAX_BYTES,
    parse_env_file,
    parse_env_text,
    quote_value,
    render_env,
    shell_assignment,
    shell_quote,
    write_env_file,
)

pytestmark = pytest.mark.usefixtures("isolated_state")

TASK = "t1"
PORTS_TOML = (
    "[tool.zenboard.ports]\nservices = { postgres = 5432, backend = 8000 }\n"
    '[[tool.zenboard.suites]]\nname = "unit"\nworkers = 0\n'
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
PROPERTY = settings(max_examples=300, deadline=None, derandomize=bool(os.environ.get("CI")))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with tasks (`[tool.zenboard.ports]`) and one trivial suite, so `run` would run."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(PORTS_TOML)
    (root / "test_ok.py").write_text("def test_ok():\n    pass\n")
    return root


def env_path(root: Path) -> Path:
    return root / ".zenflow" / "tasks" / TASK / ".env.task"


def plant(root: Path, data: bytes) -> Path:
    path = env_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def zenboard(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real command line, in a subprocess (the fixture's XDG_STATE_HOME is inherited)."""
    return subprocess.run(
        [sys.executable, "-m", "zenboard", *args, "--task", TASK],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_refused(result: subprocess.CompletedProcess[str], where: str) -> str:
    """Exit 2, one line on stderr that starts with `where`, no traceback; return the line."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    line = result.stderr.removeprefix("zenboard: error: ")
    assert line.startswith(where), result.stderr
    return line


# -- control characters, refused by every command that reads the file ---------------------
@pytest.mark.slow
@pytest.mark.parametrize(
    "line",
    [
        "NAME=a\x1b[31mb",  # ESC: an escape sequence
        "NAME='a\x00b'",  # NUL: cannot be in an environment at all (it crashed `run`)
        'NAME="a\x07b"',  # BEL
        "NAME='a\x9bb'",  # C1 CSI, as a character (UTF-8 C2 9B)
        "NA\x1bME=1",  # in a key
        "NAME='a\tb'",  # tab inside a quoted value
        "NAME=1\x7f",  # DEL
        "NAME=1\rX=2",  # a lone CR (CRLF line endings are accepted)
        "# a comment with a NUL \x00",  # NUL anywhere in the file
    ],
)
def test_control_characters_are_refused_with_the_line(project: Path, line: str) -> None:
    data = f"A=1\n# fine\n{line}\nB=2\n".encode()
    path = plant(project, data)
    for command in (["ports"], ["run", "--ci"]):
        message = assert_refused(zenboard(*command, cwd=project), f"{path}:3: ")
        assert "control character U+" in message
        assert not _CONTROL.search(message.rstrip("\n")), "the message never echoes the character"
    assert path.read_bytes() == data


@pytest.mark.slow
def test_invalid_utf8_names_its_line(project: Path) -> None:
    path = plant(project, b"A=1\nB='\x9b'\n")
    assert_refused(zenboard("ports", cwd=project), f"{path}:2: not UTF-8 text")


def test_an_oversized_env_task_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / ".env.task"
    path.write_bytes(b"A=1\n" * (MAX_BYTES // 4 + 1))
    with pytest.raises(InputError, match=r"\.env\.task: larger than"):
        parse_env_file(path)


def test_crlf_line_endings_are_line_endings(tmp_path: Path) -> None:
    path = tmp_path / ".env.task"
    path.write_bytes(b"A=1\r\nB='x y'\r\n")
    assert parse_env_file(path).values == {"A": "1", "B": "x y"}


# -- shell and loader variables, lowercase keys ---------------------------------------------
@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("PROMPT_COMMAND='touch /tmp/pwned'", "PROMPT_COMMAND"),
        ("LD_PRELOAD=/tmp/evil.so", "LD_PRELOAD"),
        ("BASH_ENV=/tmp/evil.sh", "BASH_ENV"),
        ("PS1=owned", "PS1"),
        ("PYTHONSTARTUP=/tmp/evil.py", "PYTHONSTARTUP"),
        ("PATH=/tmp/evil", "PATH"),
        ("export IFS=x", "IFS"),
        ("HOME=/tmp", "HOME"),
        ("DYLD_INSERT_LIBRARIES=/tmp/evil.dylib", "DYLD_INSERT_LIBRARIES"),
        ("PYTEST_ADDOPTS=--co", "PYTEST_ADDOPTS"),
        ("PYTEST_PLUGINS=evil", "PYTEST_PLUGINS"),
        ("ZENBOARD_EVENTS=9", "ZENBOARD_EVENTS"),
        ("NODE_OPTIONS=--require=/tmp/evil.js", "NODE_OPTIONS"),
        ("PERL5OPT=-Mevil", "PERL5OPT"),
        ("GIT_SSH_COMMAND=/tmp/evil", "GIT_SSH_COMMAND"),
        # zsh's prompts (expanded anew at each prompt under PROMPT_SUBST, oh-my-zsh's default)
        # and its startup and function paths: `eval` in zsh would otherwise set them.
        ("PROMPT='${(e):-${A}}'", "PROMPT"),
        ("RPROMPT=owned", "RPROMPT"),
        ("RPS1=owned", "RPS1"),
        ("SPROMPT=owned", "SPROMPT"),
        ("ZDOTDIR=/tmp/evil", "ZDOTDIR"),
        ("FPATH=/tmp/evil", "FPATH"),
        ("lower=1", "bad key 'lower'"),
        ("_X=1", "bad key '_X'"),
    ],
)
def test_shell_and_loader_variables_are_refused_on_every_read(
    project: Path, capsys: pytest.CaptureFixture[str], line: str, key: str
) -> None:
    data = f"A=1\n\n{line}\n".encode()
    path = plant(project, data)
    for command in (["ports", "--env"], ["ports"], ["status"]):
        assert main([*command, "--task", TASK, "--project", str(project)]) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert err.startswith(f"zenboard: error: {path}:3: {key}") and err.count("\n") == 1
    assert path.read_bytes() == data


@pytest.mark.slow
def test_run_refuses_a_loader_variable_before_any_suite_starts(project: Path) -> None:
    (project / "test_ok.py").write_text(
        "import pathlib\n\ndef test_ok():\n    pathlib.Path('ran').touch()\n"
    )
    path = plant(project, b"A=1\nLD_PRELOAD=/tmp/evil.so\n")
    assert_refused(zenboard("run", "--ci", cwd=project), f"{path}:2: LD_PRELOAD")
    assert not (project / "ran").exists()


# -- ports --env and eval --------------------------------------------------------------------
USER_VALUES = {
    "QUOTE": ('"it\'s"', "it's"),
    "SPACES": ("'a  b'", "a  b"),
    "LITERAL": ("'$UNSET_VARIABLE ${ALSO_UNSET} *'", "$UNSET_VARIABLE ${ALSO_UNSET} *"),
    "DOLLAR": ("x$$y", "x$y"),
    "CANARY": ("'x touch canary-was-run'", "x touch canary-was-run"),
    "GLOB": ("'* ? [a] ~ !x #'", "* ? [a] ~ !x #"),
    "NON_ASCII": ("'naïve ✓'", "naïve ✓"),
    "EMPTY": ("", ""),
    "URL": ('"http://${DOLLAR}:$$1/x"', "http://x$y:$1/x"),
}


@pytest.mark.slow
def test_ports_env_is_single_quoted_and_eval_sets_exactly_the_values(project: Path) -> None:
    plant(project, "".join(f"{k}={w}\n" for k, (w, _) in USER_VALUES.items()).encode())
    printed = zenboard("ports", "--env", cwd=project)
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*='.*'", line) for line in lines), lines
    keys = [line.partition("=")[0] for line in lines]
    dump = "".join(f'printf "%s=%s\\0" {k} "${k}"; ' for k in keys)
    shell = subprocess.run(
        [
            "bash",
            "-c",
            f'set -eu; eval "$({sys.executable} -m zenboard ports --env --task {TASK})"; {dump}',
        ],
        cwd=project,
        capture_output=True,
        check=True,
        timeout=120,
    )
    got = dict(item.split("=", 1) for item in shell.stdout.decode().split("\0")[:-1])
    expected = parse_env_file(env_path(project)).values
    assert got == expected
    for key, (_, value) in USER_VALUES.items():
        assert got[key] == value
    assert not (project / "canary-was-run").exists()


@pytest.mark.slow
@settings(max_examples=200, deadline=None, derandomize=bool(os.environ.get("CI")))
@given(st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00")))
def test_shell_quote_round_trips_any_text_through_bash_eval(value: str) -> None:
    assignment = shell_assignment("KEY", value)
    assert assignment == f"KEY={shell_quote(value)}"
    shell = subprocess.run(
        ["bash", "-c", 'set -u; eval "$1"; printf %s "$KEY"', "_", assignment],
        capture_output=True,
        check=True,
        env={"PATH": os.environ["PATH"], "LC_ALL": "C"},
        timeout=60,
    )
    assert shell.stdout == value.encode("utf-8")


def test_shell_assignment_refuses_what_a_shell_cannot_hold() -> None:
    for key, value in [("KEY", "a\x00b"), ("lower", "x"), ("PATH", "/x"), ("A B", "x")]:
        with pytest.raises(ValueError, match="cannot"):
            shell_assignment(key, value)


# -- symlinks ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_symlinked_env_task_is_neither_read_nor_rewritten(project: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "secrets.env"
    target.parent.mkdir()
    target.write_text("POSTGRES_PORT=1\nSECRET=hunter2\n")
    link = env_path(project)
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    for command in (["ports"], ["ports", "--env"], ["run", "--ci"], ["status"]):
        result = zenboard(*command, cwd=project)
        assert "hunter2" not in result.stdout
        assert "symlink" in assert_refused(result, f"{link}: ")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "POSTGRES_PORT=1\nSECRET=hunter2\n"


@pytest.mark.slow
def test_a_dangling_symlinked_env_task_is_not_created_through(
    project: Path, tmp_path: Path
) -> None:
    target = tmp_path / "elsewhere" / "created.env"
    target.parent.mkdir()
    link = env_path(project)
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    assert_refused(zenboard("ports", cwd=project), f"{link}: ")
    assert link.is_symlink() and not target.exists()


@pytest.mark.slow
def test_a_symlinked_task_dir_is_not_written_through(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (project / ".zenflow" / "tasks").mkdir(parents=True)
    (project / ".zenflow" / "tasks" / TASK).symlink_to(outside, target_is_directory=True)
    assert_refused(zenboard("ports", cwd=project), str(project / ".zenflow" / "tasks" / TASK))
    assert list(outside.iterdir()) == []


def test_write_env_file_uses_no_predictable_temp_name(tmp_path: Path) -> None:
    """The old `.<name>.<pid>.tmp` could be planted as a symlink and written through."""
    path = tmp_path / "proj" / ".env.task"
    path.parent.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("untouched\n")
    (path.parent / f".{path.name}.{os.getpid()}.tmp").symlink_to(victim)
    assert write_env_file(path, {"A": "1"}, root=tmp_path / "proj")
    assert path.read_text() == "A=1\n" and not path.is_symlink()
    assert victim.read_text() == "untouched\n"


# -- properties of the parser ------------------------------------------------------------------
FRAGMENTS = st.sampled_from(
    [
        "A",
        "KEY",
        "PATH",
        "x",
        "=",
        "'",
        '"',
        "$",
        "${",
        "}",
        ":-",
        "-",
        "$$",
        "(",
        "`",
        ";",
        "#",
        " ",
        "\t",
        "\r",
        "\x00",
        "\x1b",
        "\x85",
        "\x9b",
        "\u2028",
        "\ufeff",
        "export ",
        "\\",
        "é",
    ]
)
PIECES = st.lists(st.one_of(FRAGMENTS, st.text(max_size=3)), max_size=8).map("".join)
LINE_KEYS = st.sampled_from(["A", "KEY", "x", "PATH", "LD_X", "A\x1b", "export B"])
LINES = st.one_of(
    PIECES,
    st.builds(lambda k, v: f"{k}={v}", LINE_KEYS, PIECES),
    st.builds(lambda k, q, v: f"{k}={q}{v}{q}", LINE_KEYS, st.sampled_from(["'", '"']), PIECES),
)
ENV_TEXTS = st.one_of(st.text(), st.lists(LINES, max_size=6).map("\n".join))


@PROPERTY
@given(ENV_TEXTS)
def test_parser_refuses_only_with_input_error_and_accepts_no_control(text: str) -> None:
    try:
        parsed = parse_env_text(text, "f")
    except InputError as exc:
        message = str(exc)
        assert re.match(r"f:[0-9]+: ", message) and "\n" not in message
        assert not _CONTROL.search(message)
        return
    for key, value in parsed.values.items():
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", key)
        assert not _CONTROL.search(value), (key, value)
        assert shell_assignment(key, value)  # every accepted variable can be printed by --env


SAFE_ALPHABET = st.characters(
    categories=["L", "N", "P", "S", "Zs"], exclude_characters="'\\;|&<>`()\u0085"
)
SAFE_VALUES = st.text(SAFE_ALPHABET, max_size=20)


def _accepted_key(key: str) -> bool:
    try:
        parse_env_text(f"{key}=1")
    except InputError:
        return False
    return True


KEYS = st.from_regex(r"[A-Z][A-Z0-9_]{0,8}", fullmatch=True).filter(_accepted_key)


@PROPERTY
@given(st.dictionaries(KEYS, SAFE_VALUES, max_size=6))
def test_render_then_parse_round_trips_safe_values(values: dict[str, str]) -> None:
    text = render_env({k: quote_value(v) for k, v in values.items()}, header="a header\n\nline")
    assert parse_env_text(text).values == values


@PROPERTY
@given(st.text())
def test_quote_value_round_trips_or_refuses(value: str) -> None:
    try:
        written = quote_value(value)
    except ValueError:
        return
    assert parse_env_text(f"KEY={written}\n").values == {"KEY": value}


BAD_LINES = st.one_of(
    st.builds(lambda v, c: f"BAD='{v}{c}'", SAFE_VALUES, st.sampled_from("\x00\x1b\x07\x9b\t\x7f")),
    st.builds(lambda c: f"B{c}AD=1", st.sampled_from("\x00\x1b\x1c\x85")),
    st.sampled_from(
        [
            "PROMPT_COMMAND=x",
            "LD_PRELOAD=x",
            "PS4=x",
            "lower=x",
            "PYTHONPATH=.",
            "BAD=$(id)",
            "BAD=${NOT_ABOVE}",
            "not a pair",
            "BAD='open",
            "# \x00",
        ]
    ),
)


@PROPERTY
@given(st.lists(SAFE_VALUES, max_size=8), BAD_LINES, st.data())
def test_errors_name_the_bad_line(values: list[str], bad: str, data: st.DataObject) -> None:
    lines = [f"GOOD_{n}={quote_value(v)}" for n, v in enumerate(values)]
    position = data.draw(st.integers(0, len(lines)), label="position")
    lines.insert(position, bad)
    with pytest.raises(InputError) as refused:
        parse_env_text("\n".join(lines) + "\n", "x/.env.task")
    assert str(refused.value).startswith(f"x/.env.task:{position + 1}: ")


def test_readable_refusals() -> None:
    """What each refusal says, for the docs."""
    cases = {
        "PS1=x": "PS1 is a shell or loader variable",
        "a=1": "bad key 'a'",
        "A='x\ty'": "control character U+0009 (tab)",
        "A=\x1b": "control character U+001B",
    }
    for line, why in cases.items():
        with pytest.raises(InputError, match=re.escape(f"f:1: {why}")):
            parse_env_text(line, "f")
