"""Option parsing shared by the recipe scripts (egs2/TEMPLATE/st1/scripts/options.sh)."""

import subprocess
from pathlib import Path

OPTIONS_SH = Path(__file__).parents[2] / "egs2/TEMPLATE/st1/scripts/options.sh"

SCRIPT = """#!/usr/bin/env bash
set -euo pipefail
# --- options ---
stage=1            # first stage
test_sets=         # sets to decode
use_gpu=false      # whether to use a GPU
# --- end options ---
. {options}
parse_options {partial} "$0" "$@"
echo "stage=${{stage}} test_sets=${{test_sets}} use_gpu=${{use_gpu}}"
{extra}
"""


def _run(tmp_path: Path, *args: str, partial: bool = False):
    extra = 'printf "rest:%s\\n" "${remaining_args[@]}"' if partial else ""
    script = tmp_path / "script.sh"
    script.write_text(
        SCRIPT.format(options=OPTIONS_SH, partial="--partial" if partial else "", extra=extra)
    )
    return subprocess.run(["bash", str(script), *args], capture_output=True, text=True)


def test_options_are_set_from_the_command_line(tmp_path):
    out = _run(tmp_path, "--stage", "3", "--test_sets", "a b", "--use-gpu=true")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "stage=3 test_sets=a b use_gpu=true"


def test_unknown_option_and_missing_value_fail_with_a_message(tmp_path):
    out = _run(tmp_path, "--stagee", "3")
    assert out.returncode == 2 and "unknown option --stagee; see --help" in out.stderr
    out = _run(tmp_path, "--stage")
    assert out.returncode == 2 and "option --stage needs a value" in out.stderr


def test_help_lists_each_option_with_default_and_description(tmp_path):
    out = _run(tmp_path, "--help")
    assert out.returncode == 0
    assert '  --stage (default: "1") first stage' in out.stdout
    assert '  --test_sets (default: "") sets to decode' in out.stdout


def test_partial_parsing_leaves_other_options_in_order(tmp_path):
    out = _run(
        tmp_path,
        "--stage",
        "2",
        "--ngpu",
        "4",
        "--systems",
        "a b",
        "--use_gpu",
        "true",
        partial=True,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "stage=2 test_sets= use_gpu=true"
    assert lines[1:] == ["rest:--ngpu", "rest:4", "rest:--systems", "rest:a b"]
