"""Discrete speech units and ST/MT hard parameter sharing (arXiv 2309.15826).

Speech -> SSL (or MFCC) features -> k-means ids -> repeats removed -> one character per id ->
SentencePiece on those strings; source text -> SentencePiece pieces repeated K times. Both live in
one joint vocabulary, so one embedding, encoder and decoder serve speech (ST) and text (MT) inputs.
"""
