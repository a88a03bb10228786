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

Each task trains in its stage (espnet_ext.pipeline.tasks: asr 8, mt 9, st and the methods' tasks 10);
``init_from`` must name a system trained in the same or an earlier stage, listed before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from espnet_ext.pipeline.tasks import get_task

KNOWN_KEYS = {"task", "config", "inference_config", "init_from", "init_param", "description"}


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
    description: str = ""

    @property
    def train_stage(self) -> int:
        return get_task(self.task).train_stage


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
        init_param = entry.get("init_param") or []
        if isinstance(init_param, str):
            init_param = [init_param]
        system = System(
            name=str(name),
            task=str(entry["task"]),
            config=str(entry["config"]),
            inference_config=entry.get("inference_config"),
            init_from=entry.get("init_from"),
            init_param=tuple(str(p) for p in init_param),
            description=str(entry.get("description", "")),
        )
        if system.init_from is not None:
            source = systems.get(system.init_from)
            if source is None:
                raise SystemsConfigError(
                    f"{where}: init_from {system.init_from!r} must name a system listed before it"
                )
            if source.train_stage > system.train_stage:
                raise SystemsConfigError(
                    f"{where}: init_from {source.name!r} trains in stage {source.train_stage}, "
                    f"after this system's stage {system.train_stage}"
                )
            if not system.init_param:
                raise SystemsConfigError(f"{where}: init_from needs init_param (src_key:dst_key)")
        systems[system.name] = system
    return systems


def select(systems: dict[str, System], names: str | list[str] | None) -> list[System]:
    """The systems named (space/comma separated), plus the systems they initialise from."""
    if names is None or (isinstance(names, str) and not names.strip()):
        return list(systems.values())
    if isinstance(names, str):
        names = names.replace(",", " ").split()
    wanted: set[str] = set()
    for name in names:
        if name not in systems:
            raise SystemsConfigError(f"unknown system {name!r}; choose from {sorted(systems)}")
        while name is not None and name not in wanted:
            wanted.add(name)
            name = systems[name].init_from
    return [s for s in systems.values() if s.name in wanted]
