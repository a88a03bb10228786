"""The ``lc.rm`` text normalisation used for case-insensitive BLEU and for WER.

``lc.rm`` (lower case, punctuation removed) is the form data preparation writes to
``text.lc.rm.<lang>`` (:mod:`espnet_ext.corpus.normalize`) and ESPnet's ST recipes use for ASR
targets. Scoring applies :func:`strip_punct_lower` to hypotheses and references alike, with the
data-prep rule itself, so a ``text.lc.rm`` reference is left as it is and the scores agree with
what the ASR was trained on.
"""

from __future__ import annotations


def strip_punct_lower(text: str) -> str:
    """Lower-case ``text`` and remove punctuation and symbols, exactly as data prep's ``lc.rm``.

    Every Unicode punctuation or symbol character becomes a space, except an apostrophe or hyphen
    between two letters/digits (``don't``, ``well-known``) and ``. , :`` between two digits
    (``3.5``); whitespace runs collapse. See :func:`espnet_ext.corpus.normalize.remove_punct`.

    >>> strip_punct_lower("Don’t say: \\"Well-known\\" (U.S.)!")
    "don't say well-known u s"
    """
    # Imported here: sacremoses (pulled in by the corpus module) costs ~0.5 s to import.
    from espnet_ext.corpus.normalize import remove_punct

    return remove_punct(text.lower())
