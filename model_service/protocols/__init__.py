"""Wire protocols: each one decodes requests into rows and encodes results, and renders its own errors."""
