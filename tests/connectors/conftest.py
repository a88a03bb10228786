"""Session fixtures for the connector tests: tiny models saved once, loaded through real paths."""

from __future__ import annotations

import pytest

from tests.connectors import tiny_models


@pytest.fixture(scope="session")
def tiny_spm(tmp_path_factory):
    return tiny_models.make_spm(tmp_path_factory.mktemp("spm"))


@pytest.fixture(scope="session")
def marian_dir(tmp_path_factory, tiny_spm):
    return tiny_models.make_marian(tmp_path_factory.mktemp("marian"), tiny_spm)


@pytest.fixture(scope="session")
def t5_dir(tmp_path_factory, tiny_spm):
    return tiny_models.make_t5(tmp_path_factory.mktemp("t5"), tiny_spm)


@pytest.fixture(scope="session")
def whisper_dir(tmp_path_factory):
    return tiny_models.make_whisper(tmp_path_factory.mktemp("whisper"))


@pytest.fixture(scope="session")
def espnet_asr_files(tmp_path_factory):
    """(config.yaml, model.pth) of a tiny E-Branchformer ASR model."""
    return tiny_models.make_espnet_asr(tmp_path_factory.mktemp("asr"))
