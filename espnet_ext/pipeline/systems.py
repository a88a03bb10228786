"""The experiments a recipe can run, read from its ``conf/systems.yaml``.

One entry per system; the pipeline trains and decodes the selected ones (``--systems "a b"``)::

    asr:
      task: asr                      # which ESPnet task trains it (asr, mt, st, ...)
      config: asr_transformer.yaml   # training config, relative to the recipe's config family dir
      inference_config: decode_asr.yaml
    st_asrinit:
      task: st
      config: st_transformer.yaml
      inference_config: decode_st.yaml
      init_from: asr                 # another system, trained first
      init_param: [encoder:encoder]  # ESPnet --init_param src_key:dst_key, applied to its model
    qformer_ecd:
      task: connector
      config: connector_qformer_ecd.yaml
      needs: [asr, mt]               # systems whose trained models its config loads by path
    aed_st_mt:
      task: discrete
      config: discrete_aed.yaml
      data_variant: st_mt            # training data variant of its task (st | st_mt | st_mt_ext);
                                     # only for tasks with variants, default their first
      inference_model: valid.loss.ave.pth  # instead of st.sh's --inference_model (optional)

Each task trains in its stage (espnet_ext.pipeline.tasks: asr 8, mt 9, st and the methods' tasks 10);
``init_from`` and every entry of ``needs`` must name a system trained in the same or an earlier
stage, listed before it; selecting a system selects them too. A system with ``needs`` collects its
statistics right before it trains, not in stage 7 (:attr:`System.stats_at_training`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from espnet_ext.pipeline.tasks import get_task

KNOWN_KEYS = {
    "task",
    "config",
    "inference_config",
    "init_from",
    "init_param",
    "needs",
    "data_variant",
    "inference_model",
    "description",
}


class SystemsConfigError(ValueError):
    pass


@dataclass(frozen=True)
class System:
    name: str
    task: str
    config: str
    inference_config: str | None = None
    init_from: str | None = None
    init_param: tuple[str, ...] = field(default_factory=tuple)
    needs: tuple[str, ...] = field(default_factory=tuple)
    data_variant: str = ""  # "" for tasks without data variants
    # checkpoint this system decodes, packs and initialises others with, instead of st.sh's
    # --inference_model (e.g. valid.loss.ave.pth for a model that reports no accuracy)
    inference_model: str | None = None
    description: str = ""

    @property
    def depends_on(self) -> tuple[str, ...]:
        """The systems that must be trained before this one."""
        return (self.init_from, *self.needs) if self.init_from else self.needs

    @property
    def train_stage(self) -> int:
        return get_task(self.task).train_stage

    @property
    def stats_at_training(self) -> bool:
        """Whether its statistics wait until right before it trains (instead of stage 7).

        ESPnet's ``--collect_stats`` builds the model, and a model that loads other systems'
        trained models by path (its ``needs``) cannot be built before they are trained. Tasks
        whose every model loads trained systems say so themselves (``stats_at_training``); for
        other tasks (e.g. ``discrete``, whose AED may start from the recipe's own exported MT
        model) the system's ``needs`` decide. Assembled systems collect none.
        """
        task = get_task(self.task)
        return not task.assembled and (task.stats_at_training or bool(self.needs))


def load_systems(path: str | Path) -> dict[str, System]:
    """Parse and check a systems file; raises :class:`SystemsConfigError` naming the entry."""
    path = Path(path)
    with open(path, encoding="utf-8") as f:
        raw = yaml.safe_load(f) or {}
    if not isinstance(raw, dict):
        raise SystemsConfigError(f"{path}: expected a mapping of system name -> settings")
    systems: dict[str, System] = {}
    for name, entry in raw.items():
        where = f"{path}: system {name!r}"
        if not isinstance(entry, dict):
            raise SystemsConfigError(f"{where}: expected a mapping, got {entry!r}")
        unknown = set(entry) - KNOWN_KEYS
        if unknown:
            raise SystemsConfigError(
                f"{where}: unknown keys {sorted(unknown)}; known: {sorted(KNOWN_KEYS)}"
            )
        for key in ("task", "config"):
            if not entry.get(key):
                raise SystemsConfigError(f"{where}: missing {key!r}")
        try:
            get_task(str(entry["task"]))
        except ValueError as e:
            raise SystemsConfigError(f"{where}: {e}") from None
        init_param, needs = (_str_list(entry.get(key)) for key in ("init_param", "needs"))
        variant = entry.get("data_variant")
        if variant is not None and not isinstance(variant, str):
            raise SystemsConfigError(f"{where}: data_variant must be a name, got {variant!r}")
        try:
            variant = get_task(str(entry["task"])).check_variant(variant)
        except ValueError as e:
            raise SystemsConfigError(f"{where}: {e}") from None
        system = System(
            name=str(name),
            task=str(entry["task"]),
            config=str(entry["config"]),
            inference_config=entry.get("inference_config"),
            init_from=entry.get("init_from"),
            init_param=init_param,
            needs=needs,
            data_variant=variant,
            inference_model=entry.get("inference_model"),
            description=str(entry.get("description", "")),
        )
        for key, names in (
            ("init_from", system.init_from and [system.init_from]),
            ("needs", needs),
        ):
            for source_name in names or ():
                source = systems.get(source_name)
                if source is None:
                    raise SystemsConfigError(
                        f"{where}: {key} {source_name!r} must name a system listed before it"
                    )
                if source.train_stage > system.train_stage:
                    raise SystemsConfigError(
                        f"{where}: {key} {source.name!r} trains in stage {source.train_stage}, "
                        f"after this system's stage {system.train_stage}"
                    )
        if system.init_from is not None and not system.init_param:
            raise SystemsConfigError(f"{where}: init_from needs init_param (src_key:dst_key)")
        systems[system.name] = system
    return systems


def select(systems: dict[str, System], names: str | list[str] | None) -> list[System]:
    """The systems named (space/comma separated), plus the systems they depend on."""
    if names is None or (isinstance(names, str) and not names.strip()):
        return list(systems.values())
    if isinstance(names, str):
        names = names.replace(",", " ").split()
    wanted: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name not in systems:
            raise SystemsConfigError(f"unknown system {name!r}; choose from {sorted(systems)}")
        if name not in wanted:
            wanted.add(name)
            todo.extend(systems[name].depends_on)
    return [s for s in systems.values() if s.name in wanted]


def _str_list(value) -> tuple[str, ...]:
    if not value:
        return ()
    return (str(value),) if isinstance(value, str) else tuple(str(v) for v in value)
