"""Adapter for discrete-unit systems (``task: discrete``, :mod:`espnet_ext.discrete`): audio ->
frame features -> k-means units -> joint-vocabulary pieces (repeats removed, unit BPE) ->
``espnet_ext.discrete.inference.Discrete2Text``, the steps of the pipeline's unit dump
(``espnet_ext.discrete.dump``), training-data making (``JointVocab.encode_units``) and
``espnet_ext.bin.discrete_inference``, one segment at a time as that entrypoint decodes.

What the pack holds besides the config and weights (``files/``: the target BPE model and the
joint token list):

* ``extra/joint/``: the joint vocabulary dir (``joint_vocab.json``, ``unit_bpe.model``,
  ``text_bpe.model``, ``tokens.txt``) given at packing time (``extras={"joint": DIR}``,
  ``--extra joint=DIR``), or found next to the config's ``src_token_list`` when that is a path;
* ``extra/kmeans/kmeans.json`` (the feature settings and cluster count) and
  ``extra/kmeans/kmeans.npz`` (the cluster centres): the codebook of the k-means dir given at
  packing time (``make_pack(extras={"kmeans": DIR})``, ``--extra kmeans=DIR``), loaded by
  :func:`espnet_ext.discrete.kmeans.load_quantizer` as the unit dump loads it, so loading a pack
  never unpickles and its units equal the dumped ones (packs made before ``kmeans.npz`` hold
  ``extra/kmeans/centroids.npy``, which that loader reads too);
* ``extra/feature_model/``: the local checkpoint of an s3prl feature upstream
  (``feature_conf.path_or_url``, e.g. ``wavlm_local``), when the features need one.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from espnet_ext.translate.adapters import SystemAdapter, decoding_options

if TYPE_CHECKING:
    import numpy as np

    from espnet_ext.translate.unpack import Pack

logger = logging.getLogger(__name__)

SEARCH_OPTIONS = (
    "beam_size",
    "ctc_weight",
    "penalty",
    "maxlenratio",
    "minlenratio",
    "normalize_length",
    "transducer_search_type",
)
LOOP_OPTIONS = ("batch_size", "ngpu", "dtype", "num_workers", "log_level", "nbest", "key_file")
JOINT_FILES = ("joint_vocab.json", "tokens.txt", "text_bpe.model", "unit_bpe.model")
FEATURE_MODEL = "feature_model"


class DiscreteAdapter(SystemAdapter):
    """Units of each segment -> joint-vocabulary ids -> ``Discrete2Text`` (best hypothesis)."""

    def __init__(self, extractor, quantizer, vocab, preprocess, decoder, sample_rate: int):
        self.extractor = extractor
        self.quantizer = quantizer
        self.vocab = vocab
        self.preprocess = preprocess
        self.decoder = decoder
        self.sample_rate = sample_rate

    @classmethod
    def pack_extras(cls, config: dict, exp_dir: Path, given: dict[str, Path]) -> dict:
        import numpy as np

        from espnet_ext.discrete.kmeans import CENTRES_FILE, CENTRES_KEY, INFO_FILE, load_quantizer

        unknown = sorted(set(given) - {"kmeans", "joint"})
        if unknown:
            raise ValueError(f"discrete systems take the extras kmeans and joint, not {unknown}")
        kdir = given.get("kmeans")
        if kdir is None:
            raise ValueError(
                "a discrete-unit system needs its k-means model: pass the k-means dir "
                f"({CENTRES_FILE} + {INFO_FILE}) as --extra kmeans=DIR"
            )
        try:
            quantizer = load_quantizer(kdir)  # checks the codebook as loading the pack will
        except (OSError, ValueError) as e:
            raise ValueError(f"--extra kmeans={kdir}: {e}") from e
        info = dict(quantizer.info)
        feature_conf = dict(info["feature_conf"])
        buf = io.BytesIO()  # the centres as loaded (also from a dir with an older layout)
        np.savez(buf, **{CENTRES_KEY: quantizer.centres})
        extras: dict[str, Path | bytes] = {f"kmeans/{CENTRES_FILE}": buf.getvalue()}
        model_path = feature_conf.get("path_or_url")
        if model_path and Path(model_path).is_file():
            extras[f"{FEATURE_MODEL}/{Path(model_path).name}"] = Path(model_path)
            feature_conf["path_or_url"] = FEATURE_MODEL  # resolved when the pack is loaded
        for key in ("device", "download_dir"):  # this machine's settings
            feature_conf.pop(key, None)
        info["feature_conf"] = feature_conf
        extras[f"kmeans/{INFO_FILE}"] = (json.dumps(info, indent=1) + "\n").encode("utf-8")

        joint = given.get("joint") or _joint_dir(config, exp_dir)
        missing = [n for n in JOINT_FILES if not (joint / n).is_file()]
        if missing:
            raise ValueError(f"joint vocabulary dir {joint}: missing {missing}")
        for name in JOINT_FILES:
            extras[f"joint/{name}"] = joint / name
        return extras

    @classmethod
    def load(cls, pack: Pack, device: str = "cpu", beam_size: int | None = None, **options):
        from espnet_ext.bin import prepare_espnet_task

        task = prepare_espnet_task("espnet_ext.discrete.task", "DiscreteSTTask")
        from espnet_ext.discrete.features import build_extractor
        from espnet_ext.discrete.inference import Discrete2Text
        from espnet_ext.discrete.kmeans import INFO_FILE, load_quantizer
        from espnet_ext.discrete.vocab import JointVocab

        quantizer = load_quantizer(pack.extra(f"kmeans/{INFO_FILE}").parent)
        feature_conf = dict(quantizer.info["feature_conf"])
        if feature_conf.get("path_or_url") == FEATURE_MODEL:
            name = next(k for k in pack.meta["extras"] if k.startswith(f"{FEATURE_MODEL}/"))
            feature_conf["path_or_url"] = str(pack.extra(name))
        if feature_conf.get("feature_type") == "s3prl":
            feature_conf["device"] = device
        vocab = JointVocab(pack.extra("joint/joint_vocab.json").parent)
        if vocab.char_map.n_units != quantizer.n_clusters:
            raise ValueError(
                f"pack {pack.meta.get('system')!r}: the joint vocabulary has "
                f"{vocab.char_map.n_units} units but the k-means model "
                f"{quantizer.n_clusters} clusters"
            )
        kwargs = decoding_options(pack, SEARCH_OPTIONS, LOOP_OPTIONS)
        if beam_size is not None:
            kwargs["beam_size"] = beam_size
        decoder = Discrete2Text(pack.config_path, pack.model_path, device=device, **kwargs)
        preprocess = task.build_preprocess_fn(decoder.train_args, False)
        return cls(
            build_extractor(**feature_conf),
            quantizer,
            vocab,
            preprocess,
            decoder,
            int(feature_conf.get("fs", 16000)),
        )

    def translate_batch(self, waves: list[np.ndarray]) -> list[str]:
        out = []
        for i, wave in enumerate(waves):
            units = self.quantizer(self.extractor(wave))
            if len(units) == 0:
                logger.warning("segment of %d samples gives no feature frame", len(wave))
                out.append("")
                continue
            pieces = self.vocab.encode_units(units.tolist())
            data = self.preprocess(f"segment{i}", {"src_text": " ".join(pieces)})
            results = self.decoder(data["src_text"])
            out.append(results[0].text if results else "")
        return out


def _joint_dir(config: dict, exp_dir: Path) -> Path:
    """The joint vocabulary dir: the directory of the config's ``src_token_list`` if that is a
    path (the discrete task writes the token list itself into config.yaml)."""
    value = config.get("src_token_list")
    if isinstance(value, str):
        for base in (Path.cwd(), exp_dir.resolve().parent.parent):
            joint = (base / value).parent
            if (joint / "joint_vocab.json").is_file():
                return joint
    raise ValueError(
        "a discrete-unit system needs its joint vocabulary dir (joint_vocab.json, "
        "unit_bpe.model, ...): pass it as --extra joint=DIR"
    )
