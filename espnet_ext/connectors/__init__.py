"""Connectors between a frozen speech encoder and a frozen MT model (arXiv 2411.18294).

- ``qformer.py``, ``ste.py``: the two trainable connectors (``abs_connector.py``: interface).
- ``speech_encoder.py``: frozen Whisper / ESPnet ASR encoders; ``mt.py``: the frozen HF MT side.
- ``espnet_model.py``: ECD / ECED model; ``task.py``: its ESPnet task; ``inference.py``: decoding.
- ``paper_scale.py``: parameter counts of the paper-scale systems on the meta device.
"""
