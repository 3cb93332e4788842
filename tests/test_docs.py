"""The README documents every setting and every command (a doc that drifts fails here)."""

from __future__ import annotations

from pathlib import Path

import click

from briefqa.cli import main
from briefqa.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme() -> None:
    missing = [f"BRIEFQA_{name.upper()}" for name in Settings.model_fields if f"BRIEFQA_{name.upper()}" not in README]
    assert not missing, f"settings missing from README.md: {missing}"


def _commands(group: click.Group, prefix: str) -> list[str]:
    out = []
    for name, cmd in group.commands.items():
        out.append(f"{prefix} {name}")
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, f"{prefix} {name}"))
    return out


def test_every_command_is_in_the_readme() -> None:
    missing = [c for c in _commands(main, "briefqa") if f"`{c}" not in README]
    assert not missing, f"commands missing from README.md: {missing}"
