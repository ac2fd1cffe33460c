"""Every code block of the README runs as written.

Python blocks are executed, each on its own (a reader copies one block, not the page), in a
scratch folder so that what they save lands there. Shell blocks are checked line by line:
each ``bayesreg ...`` command must parse with the real command-line parser (its options
exist and take the values shown); running them all would take the length of ``make demo``,
which runs the main ones end to end.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def _blocks(language: str) -> list[tuple[int, str]]:
    text = README.read_text()
    return [(text.count("\n", 0, m.start()) + 1, m.group(2))
            for m in _FENCE.finditer(text) if m.group(1) == language]


def _commands() -> list[tuple[int, str]]:
    """The ``bayesreg`` command lines of the shell blocks, continuation lines joined."""
    out = []
    for line_no, code in _blocks("bash"):
        for offset, line in enumerate(code.replace("\\\n", " ").splitlines()):
            line = line.split(" #")[0].strip()
            if line.startswith("bayesreg "):
                out.append((line_no + 1 + offset, line))
    return out


def test_the_readme_has_code_to_check():
    assert len(_blocks("python")) >= 8 and len(_commands()) >= 15


@pytest.mark.parametrize(("line", "code"), _blocks("python"), ids=lambda v: str(v) if isinstance(v, int) else "")
def test_python_block_runs(line, code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(code, f"README.md, block at line {line}", "exec"), {"__name__": "__readme__"})


@pytest.mark.parametrize(("line", "command"), _commands(), ids=lambda v: str(v) if isinstance(v, int) else "")
def test_shell_command_parses(line, command):
    from bayesreg.cli import build_parser

    argv = shlex.split(command)[1:]
    if argv == ["--help"]:
        return
    # placeholders such as "step-size|depth|seeds" name alternatives: each must parse
    alternatives = [argv]
    for i, arg in enumerate(argv):
        if "|" in arg and not arg.startswith("-"):
            alternatives = [argv[:i] + [choice] + argv[i + 1:] for choice in arg.split("|")]
    for args in alternatives:
        try:
            build_parser().parse_args(args)
        except SystemExit as exc:
            pytest.fail(f"README.md line {line}: {command!r} does not parse (exit {exc.code})")
