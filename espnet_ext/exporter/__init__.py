"""Exporter ("Coupling Speech Encoders with Downstream Text Models", arXiv 2407.17605): couple an
ASR encoder to an MT model by emitting, for each ASR 1-best token, a vector trained to match the
MT model's embedding of that token.

``alignment`` (greedy CTC with frames per token), ``exporter`` (the layer), ``mt_input`` (feeding
vectors to an ESPnet MT encoder), ``espnet_model`` (training losses, fixed / incremental MT),
``task`` (ESPnet task), ``inference`` (batched cascade and exporter decoding),
``pretrained`` (loading the ASR and MT experiment dirs).
"""
