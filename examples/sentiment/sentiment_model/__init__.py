"""An example model package for Model Service: positive or negative, for English reviews."""
from .model import SentimentInput, SentimentModel, SentimentOutput

__all__ = ["SentimentInput", "SentimentModel", "SentimentOutput"]
