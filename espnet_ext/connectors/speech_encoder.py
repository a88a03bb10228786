"""Frozen speech encoders behind one interface: 16 kHz waveforms in, (B, T, D) states out.

- :class:`WhisperSpeechEncoder`: the encoder of a Hugging Face Whisper model, by hub name or local
  path (``WhisperModel.from_pretrained(name_or_path).encoder`` and its feature extractor).
- :class:`ESPnetASRSpeechEncoder`: frontend + normalisation + encoder of an ESPnet ASR model
  trained by the recipe (``exp/asr_*/config.yaml`` + ``*.pth``), e.g. an E-Branchformer.

The wrappers only compute; keeping them frozen (``requires_grad=False``, eval mode) is the job of
the model that holds them (:class:`espnet_ext.connectors.espnet_model.ESPnetConnectorSTModel`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import torch
from typeguard import typechecked


class AbsSpeechEncoder(torch.nn.Module, ABC):
    """A pretrained speech encoder that reads raw waveforms."""

    @abstractmethod
    def output_size(self) -> int:
        """Width D of the encoder states."""

    @abstractmethod
    def forward(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Encode a batch of waveforms.

        Args:
            speech: (B, S) float, 16 kHz waveforms, zero-padded after ``speech_lengths[b]``.
            speech_lengths: (B,) long, samples per utterance.

        Returns:
            xs: (B, T, D) float encoder states; frames at ``t >= lengths[b]`` are padding.
            lengths: (B,) long valid frames.
        """


def whisper_log_mel(
    wave: torch.Tensor, mel_filters: torch.Tensor, n_fft: int, hop_length: int
) -> torch.Tensor:
    """Whisper's log-mel features, batched, as ``WhisperFeatureExtractor`` computes them.

    Args:
        wave: (C, N) float, each row one zero-padded window of exactly the model's input length.
        mel_filters: (n_fft // 2 + 1, n_mels) float, the feature extractor's ``mel_filters``.

    Returns:
        (C, n_mels, N // hop_length) float: log10 power mel spectrogram, floored at 8 below each
        row's maximum and scaled to ``(x + 4) / 4``.
    """
    window = torch.hann_window(n_fft, device=wave.device, dtype=torch.float32)
    stft = torch.stft(wave.float(), n_fft, hop_length, window=window, return_complex=True)
    power = (stft[..., :-1].abs() ** 2).contiguous()  # (C, F, frames); the last frame is dropped
    log_spec = torch.clamp(mel_filters.T @ power, min=1e-10).log10()  # (C, n_mels, frames)
    row_max = log_spec.amax(dim=(1, 2), keepdim=True)
    log_spec = torch.maximum(log_spec, row_max - 8.0)
    return (log_spec + 4.0) / 4.0


class WhisperSpeechEncoder(AbsSpeechEncoder):
    """Encoder of a Hugging Face Whisper model.

    Whisper's encoder only accepts windows of exactly ``chunk_length`` seconds (30 s for the
    released models); each utterance is cut into such windows (the last one zero-padded, as the
    feature extractor pads), all windows of the batch are encoded at once, and the valid frames
    of an utterance's windows are concatenated. One encoder frame covers 2 hops (20 ms).

    Args:
        name_or_path: hub name (``openai/whisper-small.en``) or a local directory holding the
            model and its feature extractor (``save_pretrained`` output).
        fs: sampling rate of the input; must equal the feature extractor's.
    """

    @typechecked
    def __init__(self, name_or_path: str = "openai/whisper-small.en", fs: int = 16000):
        super().__init__()
        from transformers import WhisperFeatureExtractor, WhisperModel

        fe = WhisperFeatureExtractor.from_pretrained(name_or_path)
        if fe.sampling_rate != fs:
            raise ValueError(
                f"{name_or_path}: Whisper expects {fe.sampling_rate} Hz input, got fs={fs}"
            )
        self.encoder = WhisperModel.from_pretrained(name_or_path, dtype=torch.float32).encoder
        strides = self.encoder.conv1.stride[0] * self.encoder.conv2.stride[0]
        if self.encoder.config.max_source_positions * strides != fe.nb_max_frames:
            raise ValueError(
                f"{name_or_path}: the feature extractor gives {fe.nb_max_frames} frames a window "
                f"but the encoder expects {self.encoder.config.max_source_positions * strides}"
            )
        self.name_or_path = name_or_path
        self.window_samples = fe.n_samples
        self.n_fft = fe.n_fft
        self.hop_length = fe.hop_length
        self.frame_stride = strides
        # Derived from the feature extractor's settings, so not saved with the model's weights.
        mel = torch.as_tensor(fe.mel_filters, dtype=torch.float32)
        self.register_buffer("mel_filters", mel, persistent=False)

    def output_size(self) -> int:
        return self.encoder.config.d_model

    def forward(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, S), (B,) -> (B, T, D), (B,) with T = sum over windows of ceil(samples / 320)."""
        if speech.dim() != 2:
            raise ValueError(f"expected mono waveforms (B, S), got {tuple(speech.shape)}")
        n = self.window_samples
        windows, owners, window_samples = [], [], []
        for b, length in enumerate(speech_lengths.tolist()):
            if length < 1:
                raise ValueError(f"utterance {b} of the batch has {length} samples")
            for start in range(0, length, n):
                piece = speech[b, start : min(start + n, length)]
                windows.append(torch.nn.functional.pad(piece, (0, n - piece.numel())))
                owners.append(b)
                window_samples.append(piece.numel())
        with torch.autocast(device_type=speech.device.type, enabled=False):
            feats = whisper_log_mel(
                torch.stack(windows), self.mel_filters, self.n_fft, self.hop_length
            )
        feats = feats.to(dtype=self.encoder.conv1.weight.dtype)
        states = self.encoder(input_features=feats).last_hidden_state  # (C, T_win, D)
        # valid mel frames of a window: ceil(samples / hop); each conv stride halves them (ceil)
        per_utt: list[list[torch.Tensor]] = [[] for _ in range(speech.size(0))]
        for state, b, samples in zip(states, owners, window_samples):
            frames = -(-samples // self.hop_length)
            frames = -(-frames // self.frame_stride)
            per_utt[b].append(state[:frames])
        seqs = [torch.cat(parts) for parts in per_utt]
        lengths = torch.tensor([s.size(0) for s in seqs], dtype=torch.long, device=speech.device)
        xs = torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True)
        return xs, lengths


class ESPnetASRSpeechEncoder(AbsSpeechEncoder):
    """The encoder side of an ESPnet ASR model (``ESPnetASRModel.encode``).

    Runs the model's frontend, normalisation, pre-encoder, encoder and post-encoder; the
    attention decoder is dropped, and the CTC layer too unless the encoder uses it
    (self-conditioned intermediate CTC, CTC trimming). SpecAugment is inactive because the model
    stays in eval mode.

    Args:
        asr_train_config: the ASR experiment's ``config.yaml``.
        asr_model_file: its checkpoint (e.g. ``valid.acc.ave.pth``); loaded strictly.
    """

    @typechecked
    def __init__(self, asr_train_config: str, asr_model_file: str):
        super().__init__()
        from espnet2.tasks.asr import ASRTask

        for path in (asr_train_config, asr_model_file):
            if not Path(path).is_file():
                raise FileNotFoundError(f"ESPnet ASR model file not found: {path}")
        asr_model, _ = ASRTask.build_model_from_file(asr_train_config, None, "cpu")
        state = torch.load(asr_model_file, map_location="cpu", weights_only=True)
        if isinstance(state, dict) and isinstance(state.get("model"), dict):
            state = state["model"]  # ESPnet's checkpoint.pth
        # Strict: ESPnet's own loader is lenient and would hide a config/checkpoint mismatch.
        asr_model.load_state_dict(state, strict=True)
        asr_model.decoder = None
        encoder = asr_model.encoder
        if not (
            getattr(encoder, "interctc_use_conditioning", False)
            or getattr(encoder, "ctc_trim", False)
        ):
            asr_model.ctc = None
        self.asr_model = asr_model

    def output_size(self) -> int:
        last = self.asr_model.postencoder or self.asr_model.encoder
        return last.output_size()

    def forward(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        xs, lengths = self.asr_model.encode(speech, speech_lengths)
        if isinstance(xs, tuple):  # intermediate CTC outputs come along; only the last is used
            xs = xs[0]
        return xs, lengths
