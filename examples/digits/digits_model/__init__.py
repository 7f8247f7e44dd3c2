"""An example model package: reads a handwritten digit from a picture (scikit-learn's digits data).

The service-facing class is ``digits_model.model.DigitsModel``; everything it does lives in
``preprocess`` (picture -> the data set's 8×8 features) and ``reader`` (features -> digit), which
work without the service installed.
"""
