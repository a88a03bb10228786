"""Command-line options shared by the decoders that search with Hugging Face ``generate``
(``connector_inference`` and ``hf_mt_inference``). Options may also come from a YAML file
(``--config decode.yaml``, as the stage pipeline passes its inference config; the command line
wins)."""

from __future__ import annotations

from espnet_ext.device import device_for


def generate_parser(description: str, input_example: str, batch_size: int, num_workers: int):
    from espnet_ext.cli_types import decoder_parser

    p = decoder_parser(description, input_example)
    p.add_argument("--beam_size", type=int, default=4, help="beams of the MT model's generate")
    p.add_argument("--batch_size", type=int, default=batch_size, help="inputs decoded together")
    p.add_argument("--max_new_tokens", type=int, default=256, help="longest output in tokens")
    p.add_argument(
        "--length_penalty",
        type=float,
        default=None,
        help="beam-search length penalty (default: the MT model's generation config)",
    )
    p.add_argument("--ngpu", type=int, default=0, help="0: CPU, 1: the first visible GPU")
    p.add_argument("--num_workers", type=int, default=num_workers, help="data loader workers")
    p.add_argument("--log_level", default="INFO", help="logging level")
    return p


def start(args) -> str:
    """Set up logging; the device the options ask for."""
    from espnet_ext.bin import setup_logging

    setup_logging(args.log_level)
    return device_for(args.ngpu)


def search_options(args) -> dict:
    """The keyword arguments of the decoders that map one-to-one onto the shared options."""
    names = ("train_config", "model_file", "data_path_and_name_and_type", "output_dir", "key_file")
    names += ("beam_size", "batch_size", "max_new_tokens", "length_penalty", "num_workers")
    return {name: getattr(args, name) for name in names}
