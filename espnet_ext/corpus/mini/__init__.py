"""The mini corpus: synthetic English speech with German, Spanish, French and Portuguese
translations, in the MuST-C v1 and How2 release layouts.

``frames`` (meaning) -> ``sampler`` (random meanings) -> ``realise`` (text per language, from
``lexicon``) -> ``plan`` (splits, talks, voices) -> ``speech`` (espeak-ng) -> ``layout``
(release files); ``generate`` runs it all (``python -m espnet_ext.bin.make_mini_corpus``).
"""
