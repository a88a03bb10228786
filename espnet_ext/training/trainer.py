"""ESPnet's trainer with crash-safe checkpoints, verified resume and weights-only loading.

Seam: ESPnet tasks pick their trainer through the class attribute ``AbsTask.trainer`` and call
only its classmethods (``add_arguments``, ``build_options``, ``run``); ``Trainer.run`` calls
``cls.resume(...)`` when ``--resume true`` finds ``checkpoint.pth``. :class:`SafeTrainer`
subclasses ``Trainer`` and overrides exactly those four methods, each delegating to ESPnet's:

- ``run`` executes ESPnet's ``run`` inside :func:`~espnet_ext.training.torch_io.routed`, so every
  ``torch.save`` ESPnet makes into the output directory (``checkpoint.pth``, ``<n>epoch.pth``,
  ``*.ave_<n>best*.pth``) is atomic, checksummed and keeps the previous checkpoint, and every
  ``torch.load`` from it (resume, n-best averaging) is verified and weights-only;
- ``resume`` picks the newest checkpoint that verifies and loads
  (:meth:`CheckpointDir.load_newest_checkpoint`), hands it to ESPnet's ``resume``, then restores
  the model file and the ``latest.pth``/``*.best.pth`` links of the resumed epoch, which a kill
  right after the checkpoint may have left missing;
- ``add_arguments``/``build_options`` add ``--resume_strict``.

:func:`install` puts it on a task (``STTask.trainer = SafeTrainer``) and makes the task's other
model loads (``--init_param``, ``build_model_from_file``) weights-only.
"""

from __future__ import annotations

import argparse
import contextvars
import dataclasses
import functools
import logging
from pathlib import Path

from espnet2.train.trainer import Trainer, TrainerOptions
from espnet2.utils.build_dataclass import build_dataclass
from espnet2.utils.types import str2bool

from espnet_ext.training.checkpoint import CheckpointDir, CheckpointError, replace_symlink
from espnet_ext.training.torch_io import CheckpointDirRoute, WeightsOnlyRoute, routed

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class SafeTrainerOptions(TrainerOptions):
    resume_strict: bool = False


@dataclasses.dataclass
class _Run:
    checkpoint_dir: CheckpointDir
    options: SafeTrainerOptions | TrainerOptions
    writes: bool  # rank 0 (or not distributed): the one process that writes files


# The run in progress, for resume(), which ESPnet calls without the options.
_active_run: contextvars.ContextVar[_Run | None] = contextvars.ContextVar("run", default=None)


class SafeTrainer(Trainer):
    """``espnet2.train.trainer.Trainer`` with crash-safe checkpoints (see the module docstring)."""

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        super().add_arguments(parser)
        group = parser.add_argument_group("Crash-safe checkpoints (espnet_ext)")
        group.add_argument(
            "--resume_strict",
            type=str2bool,
            default=False,
            help="With --resume true: stop with an error, instead of training from scratch, "
            "when checkpoint files exist but none of them verifies and loads",
        )

    @classmethod
    def build_options(cls, args: argparse.Namespace) -> SafeTrainerOptions:
        return build_dataclass(SafeTrainerOptions, args)

    @classmethod
    def run(
        cls,
        model,
        optimizers,
        schedulers,
        train_iter_factory,
        valid_iter_factory,
        plot_attention_iter_factory,
        trainer_options,
        distributed_option,
    ) -> None:
        checkpoint_dir = CheckpointDir(trainer_options.output_dir)
        writes = not distributed_option.distributed or distributed_option.dist_rank == 0
        if writes:
            Path(trainer_options.output_dir).mkdir(parents=True, exist_ok=True)
            checkpoint_dir.remove_stale_temporaries()
        token = _active_run.set(_Run(checkpoint_dir, trainer_options, writes))
        try:
            with routed(CheckpointDirRoute(checkpoint_dir)):
                super().run(
                    model=model,
                    optimizers=optimizers,
                    schedulers=schedulers,
                    train_iter_factory=train_iter_factory,
                    valid_iter_factory=valid_iter_factory,
                    plot_attention_iter_factory=plot_attention_iter_factory,
                    trainer_options=trainer_options,
                    distributed_option=distributed_option,
                )
            if writes:  # drop the entries of model files ESPnet deleted after the last save
                checkpoint_dir.update_manifest({})
        finally:
            _active_run.reset(token)

    @classmethod
    def resume(
        cls,
        checkpoint,
        model,
        reporter,
        optimizers,
        schedulers,
        scaler,
        ngpu: int = 0,
        strict: bool = True,
    ) -> None:
        """Resume from the newest verified checkpoint next to ``checkpoint`` (ESPnet passes
        ``output_dir/checkpoint.pth``); see :meth:`CheckpointDir.load_newest_checkpoint`."""
        import torch

        run = _active_run.get()
        output_dir = Path(checkpoint).parent
        if run is None or Path(run.checkpoint_dir.path).resolve() != output_dir.resolve():
            run = _Run(CheckpointDir(output_dir), None, writes=True)
        checkpoint_dir = run.checkpoint_dir
        map_location = f"cuda:{torch.cuda.current_device()}" if ngpu > 0 else "cpu"
        name, states = checkpoint_dir.load_newest_checkpoint(map_location)
        if name is None:
            message = (
                f"--resume true: no checkpoint in {output_dir} verifies and loads "
                "(see the rejections above)"
            )
            if run.options is not None and getattr(run.options, "resume_strict", False):
                raise CheckpointError(message + "; stopping because of --resume_strict true")
            logger.warning("%s; TRAINING STARTS FROM SCRATCH (epoch 1)", message)
            return
        checkpoint_dir.preload(name, states)
        with routed(CheckpointDirRoute(checkpoint_dir)):
            super().resume(
                checkpoint=checkpoint_dir.path / name,
                model=model,
                reporter=reporter,
                optimizers=optimizers,
                schedulers=schedulers,
                scaler=scaler,
                ngpu=ngpu,
                strict=strict,
            )
        if run.writes:
            criteria = run.options.best_model_criterion if run.options is not None else ()
            restore_epoch_files(checkpoint_dir, reporter, states["model"], criteria)
            if run.options is not None:
                prune_epoch_files(
                    checkpoint_dir, reporter, criteria, run.options.keep_nbest_models
                )


def restore_epoch_files(checkpoint_dir: CheckpointDir, reporter, model_state, criteria) -> None:
    """Recreate what ESPnet writes right after ``checkpoint.pth`` for the resumed epoch: its
    model file ``<n>epoch.pth`` (from the checkpoint's model state, which is what ESPnet saves
    there), ``latest.pth`` and the ``<phase>.<key>.best.pth`` links."""
    epoch = reporter.get_epoch()
    if epoch < 1:
        return
    model_file = f"{epoch}epoch.pth"
    reason = checkpoint_dir.verify(model_file)
    if reason is not None:
        logger.warning("%s: %s; restoring it from the checkpoint", model_file, reason)
        checkpoint_dir.save(model_state, model_file)
    replace_symlink(checkpoint_dir.path / "latest.pth", model_file)
    for phase, key, mode in criteria:
        if not reporter.has(phase, key):
            continue
        best = f"{reporter.get_best_epoch(phase, key, mode)}epoch.pth"
        if (checkpoint_dir.path / best).exists():
            replace_symlink(checkpoint_dir.path / f"{phase}.{key}.best.pth", best)
        else:
            logger.warning("%s.%s.best.pth: best model file %s is gone", phase, key, best)


def prune_epoch_files(
    checkpoint_dir: CheckpointDir, reporter, criteria, keep_nbest_models
) -> None:
    """Redo ESPnet's last step of an epoch, which a kill after the checkpoint may have skipped:
    delete the model files of earlier epochs that are in no criterion's n-best. Without it, a run
    killed after its final checkpoint keeps them for good, as the resumed run trains no epoch."""
    epoch = reporter.get_epoch()
    keep = (
        keep_nbest_models if isinstance(keep_nbest_models, int) else max(keep_nbest_models or [1])
    )
    nbests = set().union(
        *[
            set(reporter.sort_epochs(phase, key, mode)[:keep])
            for phase, key, mode in criteria
            if reporter.has(phase, key)
        ]
    )
    removed = []
    for e in range(1, epoch):
        path = checkpoint_dir.path / f"{e}epoch.pth"
        if path.exists() and e not in nbests:
            path.unlink()
            removed.append(path.name)
    if removed:
        checkpoint_dir.update_manifest({})
        logger.info(
            "Removed model files outside the n-best left by the interrupted run: %s", removed
        )


def _safe_trainer_for(trainer: type) -> type:
    if issubclass(trainer, SafeTrainer):
        return trainer
    if trainer is Trainer:
        return SafeTrainer
    if issubclass(trainer, Trainer):
        return type(f"Safe{trainer.__name__}", (SafeTrainer, trainer), {})
    raise TypeError(f"{trainer!r} is not an espnet2 Trainer; cannot make it crash-safe")


def _weights_only_init_param(load_pretrained_model):
    @functools.wraps(load_pretrained_model)
    def wrapper(init_param: str, *args, **kwargs):
        path = init_param.split(":", 1)[0]
        with routed(WeightsOnlyRoute([path])):
            return load_pretrained_model(init_param, *args, **kwargs)

    wrapper._espnet_ext_weights_only = True
    return wrapper


def _weights_only_model_file(build_model_from_file):
    @functools.wraps(build_model_from_file)
    def wrapper(cls, config_file=None, model_file=None, device="cpu"):
        paths = [model_file] if model_file is not None else []
        with routed(WeightsOnlyRoute(paths)):
            return build_model_from_file(cls, config_file, model_file, device)

    wrapper._espnet_ext_weights_only = True
    return classmethod(wrapper)


def install(task_cls: type) -> None:
    """Make ``task_cls`` (an ESPnet task class) train with :class:`SafeTrainer` and load
    ``--init_param`` files and ``build_model_from_file`` model files weights-only (and verified
    when a ``checksums.sha256`` lists them). Idempotent."""
    import espnet2.tasks.abs_task as abs_task

    task_cls.trainer = _safe_trainer_for(task_cls.trainer)
    if not getattr(abs_task.load_pretrained_model, "_espnet_ext_weights_only", False):
        abs_task.load_pretrained_model = _weights_only_init_param(abs_task.load_pretrained_model)
    current = task_cls.build_model_from_file
    if not getattr(current, "_espnet_ext_weights_only", False):
        task_cls.build_model_from_file = _weights_only_model_file(current.__func__)
