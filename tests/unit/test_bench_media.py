"""The benchmark's media section: its in-process figures and its table rows (no server)."""
import bench.run  # noqa: F401  (the benchmark parses and imports)
from bench import media_overhead


def test_the_in_process_figures_of_a_640x480_jpeg_are_measured(tmp_path, monkeypatch):
    monkeypatch.setattr(media_overhead, "SAMPLES", 2)
    jpeg = media_overhead._photo()
    figures = media_overhead.in_process(media_overhead.models_file(tmp_path), jpeg)
    assert set(figures) == {"model_ms", "input_from_bytes_ms", "input_from_base64_ms",
                            "output_png_ms", "service_path_ms"}
    assert all(value > 0 for value in figures.values())
    # The path checks input and output around the model: never cheaper than the model alone.
    assert figures["service_path_ms"] > figures["model_ms"]


def test_the_section_reports_every_path_in():
    http = {name: {"p50_ms": 30.0, "server_cpu_ms": 27.0} for name in ("raw", "multipart", "json")}
    in_process = {"model_ms": 0.1, "input_from_bytes_ms": 3.0, "input_from_base64_ms": 3.5,
                  "output_png_ms": 21.0, "service_path_ms": 25.0}
    rows = media_overhead.lines({"jpeg_bytes": 98_000, "samples": 40, "in_process": in_process,
                                 "http": http})
    assert rows[0].startswith("640x480 JPEG (98 kB) in, PNG out")
    assert "(+24.9 ms over the model)" in rows[4]
    assert [row.split(",")[1].split("  ")[0].strip() for row in rows[5:]] == [
        "raw body + Accept: image/png", "multipart", "JSON with base64"]
