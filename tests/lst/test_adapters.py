import pytest
import torch

from espnet_ext.lst.adapters import LengthAdapter, ModalityAdapter, conv_output_lengths


@pytest.mark.parametrize(
    "num_layers,kernel_size,stride,padding",
    [(2, 3, 2, None), (2, 3, 2, 0), (3, 3, 2, 1), (1, 4, 3, 2), (0, 3, 2, None)],
)
def test_length_adapter_output_length_matches_formula(num_layers, kernel_size, stride, padding):
    adapter = LengthAdapter(
        input_size=6,
        channels=5,
        num_layers=num_layers,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
    )
    pad = kernel_size // 2 if padding is None else padding
    for length in [7, 8, 9, 16, 31, 50]:
        expected = length
        for _ in range(num_layers):
            expected = (expected + 2 * pad - (kernel_size - 1) - 1) // stride + 1
        assert expected >= 1, "pick lengths that every setting can shorten"
        out, out_len = adapter(torch.randn(1, length, 6), torch.tensor([length]))
        assert out.shape == (1, expected, adapter.output_size())
        assert int(out_len) == expected == adapter.output_lengths(length)
        assert int(adapter.output_lengths(torch.tensor([length]))) == expected


def test_length_adapter_too_short_input_gives_zero_length():
    adapter = LengthAdapter(input_size=3, channels=4, num_layers=2, kernel_size=5, padding=0)
    out, out_len = adapter(torch.randn(2, 6, 3), torch.tensor([6, 2]))
    assert out_len.tolist() == [0, 0] == adapter.output_lengths(torch.tensor([6, 2])).tolist()
    assert torch.all(out == 0)


def test_conv_output_lengths_equals_torch_conv1d():
    for kernel, stride, padding, dilation in [(3, 2, 1, 1), (10, 5, 0, 1), (3, 1, 0, 2)]:
        conv = torch.nn.Conv1d(1, 1, kernel, stride=stride, padding=padding, dilation=dilation)
        for length in range(dilation * (kernel - 1) + 1, 40):
            got = conv_output_lengths(length, kernel, stride, padding, dilation)
            assert got == conv(torch.zeros(1, 1, length)).size(-1)


def test_length_adapter_batch_equals_single_utterances():
    torch.manual_seed(0)
    adapter = LengthAdapter(input_size=4, channels=8, num_layers=2).eval()
    lengths = torch.tensor([17, 9, 4])
    xs = torch.randn(3, 17, 4)
    batch_out, batch_len = adapter(xs, lengths)
    for i, n in enumerate(lengths.tolist()):
        single, single_len = adapter(xs[i : i + 1, :n], lengths[i : i + 1])
        assert int(single_len) == int(batch_len[i])
        torch.testing.assert_close(batch_out[i, : int(single_len)], single[0])
        assert torch.all(batch_out[i, int(single_len) :] == 0)


def test_length_adapter_rejects_bad_settings():
    with pytest.raises(ValueError, match="stride=0"):
        LengthAdapter(input_size=4, stride=0)
    with pytest.raises(ValueError, match="unknown activation 'tanhh'"):
        LengthAdapter(input_size=4, activation="tanhh")


@pytest.mark.parametrize("kind,hidden,n_linear", [("linear", None, 1), ("mlp", 7, 2)])
def test_modality_adapter_maps_to_llm_width(kind, hidden, n_linear):
    adapter = ModalityAdapter(5, 12, kind=kind, hidden_size=hidden)
    assert adapter(torch.randn(2, 3, 5)).shape == (2, 3, 12)
    assert sum(isinstance(m, torch.nn.Linear) for m in adapter.modules()) == n_linear


def test_modality_adapter_rejects_bad_kind():
    with pytest.raises(ValueError, match="unknown modality adapter kind 'conv'"):
        ModalityAdapter(5, 12, kind="conv")
    with pytest.raises(ValueError, match="hidden_size=8 is only used with kind='mlp'"):
        ModalityAdapter(5, 12, kind="linear", hidden_size=8)
