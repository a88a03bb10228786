"""Batched beam search for ESPnet-style encoder-decoder ST models.

* :mod:`~espnet_ext.decoding.beam_search`: the search (ESPnet ``BeamSearch`` semantics, all
  utterances x beam hypotheses scored by one decoder call per step).
* :mod:`~espnet_ext.decoding.step`: decoder adapters (cached Transformer, ``forward_one_step``
  with a memory mask, ``batch_score``).
* :mod:`~espnet_ext.decoding.ctc_prefix`: batched CTC prefix scoring for joint decoding.
* :mod:`~espnet_ext.decoding.inference`: model loading, batched encoding, ids -> text.
* :mod:`~espnet_ext.decoding.batching` / :mod:`~espnet_ext.decoding.decode_scp`: length-sorted
  batches of a ``wav.scp`` and st_inference-style output files (``espnet_ext.bin.st_decode``).
"""
