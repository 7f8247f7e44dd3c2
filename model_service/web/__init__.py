"""The HTML site: catalog, metadata pages, the prediction form generated from a JSON Schema."""
