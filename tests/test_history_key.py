"""The key a project's runs are recorded under in a shared history.

Every clone of one repository must share it, whatever form its remote URL takes, and it must
never hold the remote's user or password; two projects of one repository stay apart.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers import write_project
from zenboard.config import load_config
from zenboard.errors import ConfigError
from zenboard.project.history_key import history_key, normalised_remote


@pytest.mark.parametrize(
    "url",
    [
        "https://ci:s3cret@GitHub.com/team/app.git",
        "git@github.com:team/app.git",
        "ssh://git@github.com:22/team/app.git/",
        "https://github.com/team/app",
    ],
)
def test_every_form_of_a_remote_is_one_key_without_credentials(url: str) -> None:
    assert normalised_remote(url) == "github.com/team/app"


@pytest.mark.slow  # runs git
def test_a_project_in_a_subfolder_of_a_repository_has_a_key_of_its_own(tmp_path: Path) -> None:
    repo = write_project(tmp_path / "mono", {"backend/pyproject.toml": "", "web/x": ""})
    assert history_key(repo) == "mono", "no git: the folder's name"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    remote = "https://bot:s3cret@gitlab.example.com/group/mono.git"
    subprocess.run(["git", "-C", str(repo), "remote", "add", "origin", remote], check=True)
    assert history_key(repo) == "gitlab.example.com/group/mono"
    assert history_key(repo / "backend") == "gitlab.example.com/group/mono/backend"
    assert history_key(repo / "backend", "payments") == "payments", "the configured name wins"


@pytest.mark.parametrize("value", ['""', '"  "', "3", '"a\\u0007b"'])
def test_a_project_name_that_is_not_one_is_refused_naming_the_key(
    tmp_path: Path, value: str
) -> None:
    project = write_project(
        tmp_path / "p", {"pyproject.toml": f"[tool.zenboard]\nproject = {value}\n"}
    )
    with pytest.raises(ConfigError) as refused:
        load_config(project)
    assert refused.value.key == "tool.zenboard.project"


def test_a_project_name_is_read(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "p", {"pyproject.toml": '[tool.zenboard]\nproject = "app"\n'}
    )
    assert load_config(project).project == "app"
