"""The repository documents its own interfaces, and the README's layout matches the tree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from pipelines.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
OPERATIONS = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
MARTS_DOC = (ROOT / "docs" / "marts.md").read_text(encoding="utf-8")
# Build output, not sources: dbt's target and logs, the generated documentation site.
GENERATED = ("dbt_project/target", "dbt_project/logs", "dbt_project/dbt_packages", "docs/dbt")


def _sources(*tops: str):
    for top in tops:
        path = ROOT / top
        if path.is_file():
            yield path
            continue
        for file in path.rglob("*"):
            relative = file.relative_to(ROOT).as_posix()
            if (file.is_file() and "__pycache__" not in relative
                    and not relative.startswith(GENERATED)):
                yield file


def test_nothing_cites_files_outside_the_repository():
    outside = "shared" + "/"  # spelled apart so this file does not match itself
    citing = [
        str(file.relative_to(ROOT))
        for file in _sources("pipelines", "dbt_project", "tests", "docs", "README.md")
        if file.suffix in (".py", ".sql", ".yml", ".yaml", ".md", ".html", ".j2", ".json", "")
        and outside in file.read_text(encoding="utf-8", errors="replace")
    ]
    assert citing == []


def test_every_setting_the_code_reads_is_documented():
    code = "\n".join(file.read_text(encoding="utf-8")
                     for file in (ROOT / "pipelines").rglob("*.py"))
    variables = set(re.findall(r'"(INSIGHTS_[A-Z0-9_]+)"', code))
    assert len(variables) > 15, variables  # the pattern still finds the settings
    assert sorted(v for v in variables if f"`{v}`" not in OPERATIONS) == []
    assert sorted(v for v in variables if f"`{v}`" not in README) == []


def test_every_command_is_documented():
    subparsers = next(action for action in build_parser()._actions
                      if action.dest == "command")
    commands = sorted(subparsers.choices)
    assert "refresh" in commands
    assert [c for c in commands if f"`insights {c}" not in OPERATIONS] == []
    assert [c for c in commands if f"`insights {c}" not in README] == []


def _layout_block() -> list[str]:
    section = README.split("## Layout", 1)[1]
    return section.split("```", 2)[1].strip("\n").splitlines()


def _listed(lines: list[str], indent: int) -> set[str]:
    names = set()
    for line in lines:
        stripped = line.lstrip(" ")
        if len(line) - len(stripped) == indent and stripped:
            names.add(stripped.split()[0].rstrip("/"))
    return names


def test_readme_layout_lists_the_top_level_folders():
    folders = {path.name for path in ROOT.iterdir()
               if path.is_dir() and not path.name.startswith(".") and path.name != "test-artifacts"}
    assert _listed(_layout_block(), 0) == folders


def test_readme_layout_lists_the_code_location_modules():
    lines = _layout_block()
    start = next(i for i, line in enumerate(lines) if line.startswith("pipelines/"))
    end = next(i for i, line in enumerate(lines[start + 1:], start + 1)
               if not line.startswith(" "))
    modules = {path.name for path in (ROOT / "pipelines").iterdir()
               if path.name not in ("__init__.py", "__pycache__")}
    assert _listed(lines[start + 1:end], 2) == modules


MART_MODELS = yaml.safe_load(
    (ROOT / "dbt_project" / "models" / "marts" / "_marts__models.yml").read_text()
)["models"]


@pytest.mark.parametrize("model", MART_MODELS, ids=lambda model: model["name"])
def test_the_marts_page_lists_every_column(model):
    sections = MARTS_DOC.split("\n### ")
    section = next((s for s in sections if s.startswith(f"`{model['name']}`")), None)
    assert section is not None, f"docs/marts.md has no section for {model['name']}"
    missing = [c["name"] for c in model["columns"] if f"`{c['name']}`" not in section]
    assert missing == []
