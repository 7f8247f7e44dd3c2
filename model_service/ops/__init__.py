"""Running the service: server, settings, metrics, request logs, API keys, probes, headers."""
