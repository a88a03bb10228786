"""Speech-translation research recipes and models on top of ESPnet2."""

__version__ = "0.1.0"
