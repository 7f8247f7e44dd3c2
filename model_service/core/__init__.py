"""The service without HTTP: contract checks, specs, registry, validation, pipeline, batching.

Nothing in this package imports Flask or reads request globals (see README.md here), so the
command line and the tests use it directly, and every protocol builds on the same calls.
"""
