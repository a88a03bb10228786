"""Scoring and results: sacreBLEU / jiwer scores of decoded sets, training info, results tables.

Modules (each importable on its own; none imports espnet2; only :mod:`.train_info` imports
torch, inside its functions):

- :mod:`.kaldi_text`: reading Kaldi ``<key> <value>`` files with line-numbered errors.
- :mod:`.normalize`: :func:`strip_punct_lower`, the ``lc.rm`` normalisation used for
  case-insensitive BLEU and WER.
- :mod:`.metrics`: BLEU/chrF/TER (sacreBLEU) and WER/CER (jiwer) on lists of strings.
- :mod:`.score`: scoring a hyp file against a ref file into ``score.json`` + ``score.txt``.
- :mod:`.train_info`: parameter counts and training cost of an experiment -> ``train_info.json``.
- :mod:`.results`: collecting ``exp/*/`` into rows, Markdown tables, ``results.json``.
- :mod:`.plots`: PNG bar charts of the rows (matplotlib, Agg).
"""
