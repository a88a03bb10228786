"""The torch device of a one-device program (decoding, LM pretraining), from ESPnet's ``--ngpu``."""

from __future__ import annotations


def device_for(ngpu: int, device: str | None = None) -> str:
    """``device`` when given (``cpu``, ``cuda``, ``cuda:N``), else ``cuda`` for ``ngpu`` 1 and
    ``cpu`` for 0. Asking for a GPU where torch sees none fails here, with the option named,
    instead of deep inside the first ``.to()`` with torch's own message."""
    if ngpu < 0:
        raise ValueError(f"--ngpu must be >= 0, got {ngpu}")
    if ngpu > 1:
        raise ValueError(
            f"--ngpu {ngpu}: this program runs on one device; split the data into jobs"
        )
    chosen = device or ("cuda" if ngpu > 0 else "cpu")
    if chosen.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            asked = f"--device {device}" if device else f"--ngpu {ngpu}"
            raise RuntimeError(
                f"{asked} asks for a GPU, but torch finds none (torch.cuda.is_available() is "
                "False); run it with --ngpu 0 (a recipe's decoding: without --gpu_inference)"
            )
    return chosen
