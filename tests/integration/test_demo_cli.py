"""`flask demo seed|holders`: a newcomer can always get the demo holders printed again."""

from __future__ import annotations

import re
from datetime import timedelta

from flask.testing import FlaskCliRunner

from app.clock import FixedClock

_HOLDER = re.compile(r"^  (\d{17}[\dX]) (\S+) — ", re.MULTILINE)


def test_the_demo_holders_can_be_printed_again_later(runner: FlaskCliRunner, clock: FixedClock) -> None:
    seeded = runner.invoke(args=["demo", "seed", "--count", "0"])
    assert seeded.exit_code == 0, seeded.output
    printed = _HOLDER.findall(seeded.output)
    assert len(printed) == 10 and "暂扣" in seeded.output and "今天：有效、有效" in seeded.output
    clock.moment += timedelta(days=400)  # the same holders, whatever the day
    again = runner.invoke(args=["demo", "holders"])
    assert again.exit_code == 0 and _HOLDER.findall(again.output) == printed
    skipped = runner.invoke(args=["demo", "seed", "--if-empty"])  # what `make run` does the second time
    assert "跳过演示数据" in skipped.output and _HOLDER.findall(skipped.output) == printed


def test_without_demo_data_it_says_what_to_run(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["demo", "holders"])
    assert result.exit_code == 1 and "flask --app app demo seed" in result.output


def test_no_command_help_mentions_internal_references(runner: FlaskCliRunner) -> None:
    """Help is for operators: no "issue 5" or other notes about how the code came to be."""
    groups = ["calendar", "certs", "db", "demo", "jobs", "keys", "menu", "notify", "review", "staff"]
    for group in groups:
        listing = runner.invoke(args=[group, "--help"])
        assert listing.exit_code == 0, group
        commands = re.findall(r"^  (\S+)\s", listing.output.split("Commands:")[-1], re.MULTILINE)
        assert commands, group
        for command in commands:
            text = runner.invoke(args=[group, command, "--help"]).output
            assert not re.search(r"\bissue\s*#?\d", text, re.IGNORECASE), (group, command, text)
