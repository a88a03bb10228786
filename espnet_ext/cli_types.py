"""Argument types shared by this package's command-line entrypoints (``type=`` of argparse), and
the option block every decoder shares."""

from __future__ import annotations

import argparse

_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


def str2bool(value: str) -> bool:
    """``true/false``, ``1/0``, ``yes/no`` (any case)."""
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


def data_triple(value: str) -> tuple[str, str, str]:
    """``PATH,NAME,TYPE`` as ESPnet's ``--data_path_and_name_and_type``."""
    parts = value.split(",")
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(
            f"expected PATH,NAME,TYPE (e.g. wav.scp,speech,sound), got {value!r}"
        )
    return parts[0], parts[1], parts[2]


def decoder_parser(description: str, input_example: str):
    """A parser (options may also come from ``--config decode.yaml``, the command line wins) with
    the options every decoder of a trained experiment takes: ``--train_config``, ``--model_file``,
    ``--data_path_and_name_and_type`` (``input_example`` shows one), ``--key_file`` and
    ``--output_dir``."""
    from espnet2.utils import config_argparse

    p = config_argparse.ArgumentParser(description=description)
    p.add_argument("--train_config", required=True, help="the experiment's config.yaml")
    p.add_argument("--model_file", required=True, help="its weights, e.g. valid.acc.ave.pth")
    p.add_argument(
        "--data_path_and_name_and_type",
        type=data_triple,
        action="append",
        required=True,
        help=f"input data, e.g. {input_example}",
    )
    p.add_argument("--key_file", default=None, help="decode only these ids")
    p.add_argument("--output_dir", required=True, help="writes text and rtf.json here")
    return p
