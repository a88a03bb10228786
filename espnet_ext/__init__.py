"""Speech-translation research recipes and models on top of ESPnet2."""

__version__ = "0.1.0"

# Public names loaded on first use, so that `import espnet_ext` stays cheap (no torch, no ESPnet).
_LAZY = {"Translator": "espnet_ext.translate.translator"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'espnet_ext' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_LAZY])
