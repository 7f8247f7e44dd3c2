"""An example model package for Model Service: verse generated from a seed, character by character."""
from .model import LyricsInput, LyricsModel, LyricsOutput

__all__ = ["LyricsInput", "LyricsModel", "LyricsOutput"]
