"""Command-line options shared by LST's two decoders: ``lst_inference`` (speech through the
adapters) and ``lst_lm_inference`` (source text through the same prompt, the text ceiling). Both
search with LST's own batched search; options may also come from a YAML file (``--config
decode.yaml``, as the stage pipeline passes its inference config; the command line wins)."""

from __future__ import annotations

# the keyword arguments both ``inference`` functions take under the option's own name
SHARED = (
    "train_config", "model_file", "data_path_and_name_and_type", "output_dir", "key_file",
    "batch_size", "beam_size", "max_new_tokens", "length_penalty", "use_cache", "ngpu",
)  # fmt: skip


def search_parser(description: str, what: str, input_example: str, batch_size: int):
    """A parser with the options of :data:`SHARED` (and ``--log_level``); ``what`` names an input
    unit in the help texts ("utterances", "sentences")."""
    from espnet_ext.cli_types import decoder_parser, str2bool

    p = decoder_parser(description, input_example)
    p.add_argument("--batch_size", type=int, default=batch_size, help=f"{what} decoded together")
    p.add_argument("--beam_size", type=int, default=1, help="1 = greedy search")
    p.add_argument("--max_new_tokens", type=int, default=256, help="tokens per output at most")
    p.add_argument("--length_penalty", type=float, default=1.0, help="beam search length penalty")
    p.add_argument("--use_cache", type=str2bool, default=True, help="use the KV cache")
    p.add_argument("--ngpu", type=int, default=0, help="0 = CPU, 1 = one GPU")
    p.add_argument("--log_level", default="INFO", help="logging level")
    return p


def start(args) -> dict:
    """Set up logging and quiet ESPnet's import; the keyword arguments of :data:`SHARED`."""
    from espnet_ext.bin import quiet_espnet_import, setup_logging

    setup_logging(args.log_level)
    quiet_espnet_import()
    return {name: getattr(args, name) for name in SHARED}
