"""Speech frontends for LST: a Hugging Face model or an s3prl upstream (the paper's self-supervised
encoders), an ESPnet ASR experiment's encoder, or filterbanks + a small Transformer.

All are ESPnet ``AbsFrontend`` s: ``forward(speech, speech_lengths)`` takes raw 16 kHz waveforms
and returns frame features with their lengths. ``freeze: true`` (the default) keeps the frontend in
eval mode, runs it without autograd and marks its parameters as not trainable; the LST model then
leaves them out of its checkpoints (see ``ESPnetLSTModel``).
"""

from __future__ import annotations

import torch
from espnet2.asr.frontend.abs_frontend import AbsFrontend

from espnet_ext.lst.adapters import conv_output_lengths, make_pad_mask


def parse_dtype(name: str) -> torch.dtype:
    """``"bfloat16"`` -> ``torch.bfloat16``; only floating dtypes are accepted."""
    dtype = getattr(torch, str(name), None)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ValueError(f"torch_dtype must name a floating torch dtype, got {name!r}")
    return dtype


class _FrozenMixin:
    """Keeps a frozen frontend in eval mode whatever the trainer asks for."""

    freeze: bool

    def train(self, mode: bool = True):
        super().train(False if self.freeze else mode)
        return self


class HFSpeechFrontend(_FrozenMixin, AbsFrontend):
    """A Hugging Face wav2vec 2.0-family encoder (wav2vec2, HuBERT, WavLM, data2vec-audio).

    ``AutoModel.from_pretrained(name_or_path)`` loads the encoder; a CTC-finetuned checkpoint such
    as ``facebook/wav2vec2-large-960h-lv60-self`` loads without its CTC head.

    Args:
        name_or_path: hub name or local directory (``config.json`` + weights).
        freeze: no gradients, eval mode (no dropout, LayerDrop or SpecAugment).
        layer: hidden state to return; ``-1`` is the encoder's last (normalised) output.
        normalize_waveform: zero mean, unit variance per utterance over its valid samples, as the
            feature extractor of the ``lv60`` models does (``do_normalize``); off for base models.
        torch_dtype: dtype the encoder is loaded in and kept in (ESPnet's ``--train_dtype``
            does not change it).
        gradient_checkpointing: for a trained frontend.
        fs: sampling rate of the input; these models expect 16000.
        from_config: instead of loading ``name_or_path``, build a randomly initialised model
            from these ``config.json`` values (``model_type`` picks the family, e.g.
            ``{model_type: wav2vec2, hidden_size: 64, ...}``); for CPU runs on the mini corpus,
            where no pretrained encoder is available, together with ``freeze: false``.

    With ``feat_extract_norm == "layer"`` (large ``lv60`` models) padded samples are masked; with
    group norm (base models) Hugging Face advises zero padding without a mask, which this frontend
    follows, so there a batched utterance's features depend slightly on the batch's padding.
    """

    def __init__(
        self,
        name_or_path: str = "facebook/wav2vec2-large-960h-lv60-self",
        freeze: bool = True,
        layer: int = -1,
        normalize_waveform: bool = True,
        torch_dtype: str = "float32",
        gradient_checkpointing: bool = False,
        fs: int = 16000,
        from_config: dict | None = None,
    ):
        super().__init__()
        from transformers import AutoConfig, AutoModel

        if fs != 16000:
            raise ValueError(f"wav2vec 2.0-family models take 16 kHz audio, got fs={fs}")
        self.freeze = freeze
        self.layer = layer
        self.normalize_waveform = normalize_waveform
        self.pinned_dtype = parse_dtype(torch_dtype)
        if from_config:
            values = dict(from_config)
            if "model_type" not in values:
                raise ValueError("from_config needs a model_type (e.g. wav2vec2)")
            config = AutoConfig.for_model(values.pop("model_type"), **values)
            self.model = AutoModel.from_config(config, dtype=self.pinned_dtype)
        else:
            self.model = AutoModel.from_pretrained(name_or_path, dtype=self.pinned_dtype)
        config = self.model.config
        if not hasattr(config, "conv_kernel") or not hasattr(config, "conv_stride"):
            raise ValueError(
                f"{name_or_path!r} ({type(self.model).__name__}) has no convolutional feature "
                "encoder (conv_kernel/conv_stride); use a wav2vec 2.0-family model"
            )
        self.use_attention_mask = getattr(config, "feat_extract_norm", "group") == "layer"
        if gradient_checkpointing:
            self.model.gradient_checkpointing_enable(
                gradient_checkpointing_kwargs={"use_reentrant": False}
            )
        if freeze:
            self.model.requires_grad_(False)
        self.train(True)

    def output_size(self) -> int:
        return self.model.config.hidden_size

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Frames produced from ``lengths`` samples by the convolutional feature encoder."""
        config = self.model.config
        for kernel, stride in zip(config.conv_kernel, config.conv_stride):
            lengths = conv_output_lengths(lengths, kernel, stride)
        return lengths

    def forward(
        self, input: torch.Tensor, input_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(batch, samples) float, (batch,) long -> (batch, frames, hidden), (batch,) long."""
        assert input.dim() == 2, f"expected (batch, samples) waveforms, got {tuple(input.shape)}"
        pad_mask = make_pad_mask(input_lengths, input.size(1))
        wav = input.float().masked_fill(pad_mask, 0.0)
        if self.normalize_waveform:
            n = input_lengths.clamp(min=1).to(wav.dtype)[:, None]
            mean = wav.sum(1, keepdim=True) / n
            var = ((wav - mean).masked_fill(pad_mask, 0.0) ** 2).sum(1, keepdim=True) / n
            wav = ((wav - mean) / torch.sqrt(var + 1e-7)).masked_fill(pad_mask, 0.0)
        kwargs = {"attention_mask": (~pad_mask).long()} if self.use_attention_mask else {}
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze):
            out = self.model(
                wav.to(self.pinned_dtype), output_hidden_states=self.layer != -1, **kwargs
            )
        feats = out.last_hidden_state if self.layer == -1 else out.hidden_states[self.layer]
        return feats, self.output_lengths(input_lengths)


class S3prlSpeechFrontend(AbsFrontend):
    """An s3prl upstream through ESPnet's ``S3prlFrontend`` (``espnet-s3prl``), frozen by config.

    Args:
        upstream: s3prl upstream name; the ``*_local`` ones (``wavlm_local``, ``hubert_local``,
            ``wav2vec2_local``) load ``path_or_url``, a local checkpoint file, and need no network.
        path_or_url: checkpoint of the upstream.
        layer: hidden layer to return; ``-1`` with ``multilayer_feature: false`` is the last one.
        multilayer_feature: learnable weighted sum of all layers (s3prl's Featurizer).
        freeze: no gradients into the upstream, which stays in eval mode (the Featurizer's layer
            weights still train).
        normalize: s3prl's per-layer normalisation flag.
    """

    def __init__(
        self,
        upstream: str = "wavlm_local",
        path_or_url: str | None = None,
        layer: int = -1,
        multilayer_feature: bool = False,
        freeze: bool = True,
        normalize: bool = False,
        fs: int = 16000,
    ):
        super().__init__()
        from espnet2.asr.frontend.s3prl import S3prlFrontend

        self.freeze = freeze
        self.pinned_dtype = None
        self.s3prl = S3prlFrontend(
            fs=fs,
            frontend_conf={
                "upstream": upstream,
                "path_or_url": path_or_url,
                "normalize": normalize,
            },
            multilayer_feature=multilayer_feature,
            layer=layer,
        )
        if freeze:
            self.s3prl.upstream.requires_grad_(False)
        self.train(True)

    def train(self, mode: bool = True):
        torch.nn.Module.train(self, mode)
        if self.freeze:
            self.s3prl.upstream.eval()
        return self

    def output_size(self) -> int:
        return self.s3prl.output_size()

    def forward(
        self, input: torch.Tensor, input_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(batch, samples) float, (batch,) long -> (batch, frames, dim) float, (batch,) long."""
        return self.s3prl(input, input_lengths)


class FbankSpeechFrontend(AbsFrontend):
    """Log-mel filterbanks + a small Transformer encoder trained from scratch, for CPU runs.

    The mini corpus has no pretrained speech encoder, and a wav2vec 2.0 network trained from
    scratch is too slow on a CPU; this frontend is the cheap stand-in: 80 log-mel filterbanks
    (ESPnet's ``DefaultFrontend``) normalised per utterance over its valid frames, ``stack``
    consecutive frames concatenated (100 -> 100 / ``stack`` frames a second), then ESPnet's
    ``TransformerEncoder`` (linear input layer). Its output feeds the length adapter like a
    wav2vec 2.0 encoder's does.

    Args:
        n_mels, n_fft, hop_length: filterbank settings (16 kHz input).
        stack: frames concatenated into one (and the frame-rate reduction).
        output_size, attention_heads, linear_units, num_blocks, dropout_rate: the encoder.
        freeze: no gradients, eval mode (for a frontend trained in an earlier stage).
    """

    def __init__(
        self,
        n_mels: int = 80,
        n_fft: int = 400,
        hop_length: int = 160,
        stack: int = 4,
        output_size: int = 144,
        attention_heads: int = 4,
        linear_units: int = 576,
        num_blocks: int = 2,
        dropout_rate: float = 0.1,
        freeze: bool = False,
        fs: int = 16000,
    ):
        super().__init__()
        from espnet2.asr.encoder.transformer_encoder import TransformerEncoder
        from espnet2.asr.frontend.default import DefaultFrontend

        if stack < 1:
            raise ValueError(f"stack must be >= 1, got {stack}")
        self.freeze = freeze
        self.pinned_dtype = None
        self.stack = stack
        self.fbank = DefaultFrontend(fs=fs, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels)
        self.encoder = TransformerEncoder(
            n_mels * stack,
            output_size=output_size,
            attention_heads=attention_heads,
            linear_units=linear_units,
            num_blocks=num_blocks,
            dropout_rate=dropout_rate,
            positional_dropout_rate=dropout_rate,
            attention_dropout_rate=dropout_rate,
            input_layer="linear",
        )
        if freeze:
            self.requires_grad_(False)
        self.train(True)

    def train(self, mode: bool = True):
        torch.nn.Module.train(self, False if self.freeze else mode)
        return self

    def output_size(self) -> int:
        return self.encoder.output_size()

    def forward(
        self, input: torch.Tensor, input_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(batch, samples) float, (batch,) long -> (batch, frames, output_size), (batch,) long."""
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze):
            feats, lengths = self.fbank(input.float(), input_lengths)
            valid = ~make_pad_mask(lengths, feats.size(1))[..., None]
            n = lengths.clamp(min=1).to(feats.dtype)[:, None, None]
            mean = (feats * valid).sum(1, keepdim=True) / n
            var = (((feats - mean) * valid) ** 2).sum(1, keepdim=True) / n
            feats = ((feats - mean) / torch.sqrt(var + 1e-5)) * valid
            # stack frames: (B, T, D) -> (B, T // stack, D * stack); a last partial group is
            # zero-padded
            batch, frames, dim = feats.shape
            pad = (-frames) % self.stack
            feats = torch.nn.functional.pad(feats, (0, 0, 0, pad))
            feats = feats.reshape(batch, (frames + pad) // self.stack, dim * self.stack)
            lengths = torch.div(lengths + self.stack - 1, self.stack, rounding_mode="floor")
            # the encoder's mask spans the longest utterance, so the batch's padding must too
            feats = feats[:, : int(lengths.max())]
            out, out_lengths, _ = self.encoder(feats, lengths)
        return out, out_lengths


class ESPnetASRFrontend(_FrozenMixin, AbsFrontend):
    """The encoder of an ESPnet ASR experiment (frontend, normalisation, encoder), e.g. the one a
    recipe's ASR stage trains with CTC/attention.

    The paper's speech encoder is a CTC-finetuned wav2vec 2.0 -- an encoder already trained to
    read speech into text units. On the mini corpus, where no such model exists, the recipe's
    own ASR encoder plays that part (a frontend trained from scratch under a frozen LLM learns
    far more slowly). Loading is :class:`espnet_ext.connectors.speech_encoder.ESPnetASRSpeechEncoder`'s
    (strict, decoder dropped), the one loader of an ESPnet ASR encoder in the toolkit.

    Args:
        asr_train_config: the ASR experiment's ``config.yaml`` (relative paths in it, e.g. the
            normalisation statistics, are taken from the working directory, the recipe's).
        asr_model_file: its weights (e.g. ``exp/asr/valid.acc.ave.pth``).
        freeze: no gradients, eval mode (no dropout or SpecAugment); frozen weights are left out
            of LST checkpoints and reloaded from ``asr_model_file``.
    """

    def __init__(self, asr_train_config: str, asr_model_file: str, freeze: bool = True):
        super().__init__()
        from espnet_ext.connectors.speech_encoder import ESPnetASRSpeechEncoder

        self.freeze = freeze
        self.pinned_dtype = None
        self.encoder = ESPnetASRSpeechEncoder(asr_train_config, asr_model_file)
        if freeze:
            self.encoder.requires_grad_(False)
        self.train(True)

    def output_size(self) -> int:
        return self.encoder.output_size()

    def forward(
        self, input: torch.Tensor, input_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(batch, samples) float, (batch,) long -> (batch, frames, output_size), (batch,) long."""
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze):
            return self.encoder(input.float(), input_lengths)
