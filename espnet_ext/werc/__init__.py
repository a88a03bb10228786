"""WeRC (Weighted Residual Connection) decoder and ALTI+ source-contribution analysis.

Alastruey et al. 2024, "Unveiling the Role of Pretraining in Direct Speech Translation"
(arXiv 2409.18044). :mod:`espnet_ext.werc.decoder` holds the decoder
(``decoder: werc_transformer``), :mod:`espnet_ext.werc.alti` the ALTI+ decomposition of a
Transformer decoder's predictions, and :mod:`espnet_ext.werc.source_contribution` the
per-checkpoint evaluation behind ``python -m espnet_ext.bin.source_contribution``.
"""
