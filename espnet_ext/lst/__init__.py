"""LST: speech encoder + length/modality adapters + decoder-only LLM, trained in two stages
("Tuning Large Language Model for End-to-end Speech Translation", arXiv 2310.02050)."""
