"""The demo model: a scikit-learn classifier of iris species, trained on scikit-learn's iris data."""
from .model import IrisInput, IrisModel, IrisOutput

__all__ = ["IrisInput", "IrisModel", "IrisOutput"]
