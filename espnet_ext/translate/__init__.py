"""Use a trained system: packed models (``pack``/``unpack``), the ``Translator`` API, and the
pieces of ``python -m espnet_ext.bin.translate`` (audio input, VAD segmentation, output formats).

Importing this package loads neither torch nor ESPnet; a system's adapter imports them when a
pack is loaded.
"""

from espnet_ext.translate.audio import AudioError
from espnet_ext.translate.translator import Segment, Translation, Translator
from espnet_ext.translate.vad import VADConfig

__all__ = ["AudioError", "Segment", "Translation", "Translator", "VADConfig"]
