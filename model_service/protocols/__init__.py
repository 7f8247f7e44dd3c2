"""The wire protocols: one folder each (endpoints, codec, error rendering, OpenAPI part).

``errors.py`` holds what they share: turning an exception into (status, detail, headers), and
the app-level fallback for what no blueprint can route (unknown paths, wrong methods).
"""
