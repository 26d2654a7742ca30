"""The README is the manual: it must name every command, option, field and key."""

from __future__ import annotations

import re

import click
from conftest import REPO

from publisher.cli import main
from publisher.content.config import Publication, Section
from publisher.content.posts import FrontMatter

README = (REPO / "README.md").read_text(encoding="utf-8")


def quick_start() -> list[str]:
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_quick_start_has_two_commands_and_ci_runs_the_test_one() -> None:
    install_and_build, install_and_test = quick_start()
    assert install_and_build.endswith("publisher build")
    assert "'.[test]'" in install_and_test and install_and_test.endswith("pytest")
    ci = (REPO / ".ci/run").read_text(encoding="utf-8").splitlines()
    assert install_and_test in ci


def test_every_command_and_option_is_documented() -> None:
    ctx = click.Context(main)
    for name in main.list_commands(ctx):
        assert f"publisher {name}" in README, name
        command = main.get_command(ctx, name)
        assert command is not None
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--") and opt != "--help":
                    assert f"`{opt}" in README, (name, opt)


def test_every_front_matter_field_is_documented() -> None:
    table = README.split("### Front matter", 1)[1].split("###", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", table, re.M))
    assert documented == set(FrontMatter.model_fields)


def test_every_config_key_is_documented() -> None:
    section = README.split("## publication.toml", 1)[1]
    for key in Publication.model_fields:
        assert f"`{key}`" in section or f"`[{key}]`" in section or f"`[[{key}]]`" in section, key
    for key in Section.model_fields:
        assert f"`{key}`" in section, key
