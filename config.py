"""Configuration classes (``Config``, ``DevelopmentConfig``, ``TestingConfig``, ``ProductionConfig``).

They live in ``model_service.config`` so that an installed wheel carries them; this module keeps
them importable from the repository root, where ``APP_SETTINGS=config.DevelopmentConfig`` reads
naturally.
"""
from model_service.config import (  # noqa: F401
    Config,
    DevelopmentConfig,
    ProductionConfig,
    TestingConfig,
    settings_class,
)
