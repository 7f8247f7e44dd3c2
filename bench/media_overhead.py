"""Measure what the service adds to an image model: a 640×480 JPEG in, a PNG out.

The model (``MirrorModel`` below) only mirrors the photo, so nearly all the time measured around
it is the service's: checking and decoding the JPEG, checking and encoding the PNG, and HTTP.
In-process figures come from the same pipeline the endpoints call (no HTTP); the HTTP figures
from sequential requests over one kept-alive connection to ``model-service serve`` (gunicorn, as
in production), by each path a client may take: the raw body with ``Accept: image/png``,
multipart, and JSON with base64.

Usage: ``python -m bench.media_overhead`` prints this section alone (about 15 s, no ``wrk``);
``python -m bench.run`` (``make bench``) includes it. ``BENCH_QUICK=1`` takes fewer samples.
"""
from __future__ import annotations

import base64
import http.client
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson
from marshmallow import Schema

from model_service import MLModel
from model_service.media import Image

from .media_field import encoded, photo_like

SIZE = (640, 480)
QUICK = os.environ.get("BENCH_QUICK") == "1"
SAMPLES = 10 if QUICK else 40
PATH = "/api/models/bench_mirror/predict"


class MirrorInput(Schema):
    photo = Image(required=True, formats=("jpeg", "png"))


class MirrorOutput(Schema):
    image = Image(required=True, formats=("png",))


class MirrorModel(MLModel):
    qualified_name = "bench_mirror"
    display_name = "Mirror"
    description = "Mirrors a photo left to right (almost free: the service's cost shows)."
    version = "1.0.0"
    input_schema = MirrorInput
    output_schema = MirrorOutput

    def predict(self, data: dict) -> dict:
        return {"image": data["photo"].transpose(0)}  # 0: Image.Transpose.FLIP_LEFT_RIGHT


def _photo() -> bytes:
    """A photo-like 640×480 JPEG at quality 90 (about 80 kB)."""
    return encoded(photo_like(SIZE), "JPEG", quality=90)


def _median_ms(call) -> float:
    """Median wall milliseconds of ``call()`` (after one warm-up call)."""
    return _medians(call)[0]


def _cpu_ms(call) -> float:
    """Median CPU milliseconds of ``call()``: what a shared, busy machine disturbs least."""
    return _medians(call)[1]


def _medians(call) -> tuple[float, float]:
    call()  # warm: Pillow's plugins, first allocations
    wall, cpu = [], []
    for _ in range(SAMPLES):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        cpu.append((time.process_time() - started_cpu) * 1e3)
        wall.append((time.perf_counter() - started) * 1e3)
    return statistics.median(wall), statistics.median(cpu)


def models_file(directory: Path) -> Path:
    path = directory / "models-media.yaml"
    path.write_text("discover_entry_points: false\nmodels:\n"
                    "  - class_path: bench.media_overhead.MirrorModel\n")
    return path


def in_process(models: Path, jpeg: bytes) -> dict:
    """CPU milliseconds of the model alone and of each step the service adds around it, no HTTP."""
    from model_service import create_app, get_registry
    from model_service.core import pipeline

    hosted = get_registry(create_app({"MODEL_SERVICE_CONFIG": str(models)})).get("bench_mirror")
    hosted.batcher = None  # one thread here: measure the path, not the batcher
    as_bytes, as_base64 = {"photo": jpeg}, {"photo": base64.b64encode(jpeg).decode()}
    decoded = pipeline.validate_one(hosted, as_bytes)
    result = hosted.model.predict(decoded)
    return {
        "model_ms": _cpu_ms(lambda: hosted.model.predict(decoded)),
        "input_from_bytes_ms": _cpu_ms(lambda: pipeline.validate_one(hosted, as_bytes)),
        "input_from_base64_ms": _cpu_ms(lambda: pipeline.validate_one(hosted, as_base64)),
        "output_png_ms": _cpu_ms(lambda: hosted.output_validator.dump_checked(result)),
        "service_path_ms": _cpu_ms(
            lambda: pipeline.run_predict(hosted, pipeline.validate_one(hosted, as_bytes))),
    }


def _multipart(jpeg: bytes) -> tuple[bytes, str]:
    boundary = "bench-media-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; "
            f"filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode() + jpeg + \
        f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def over_http(server, jpeg: bytes) -> dict:
    """Median wall ms and server CPU ms per request, by each path in, on one connection."""
    multipart, multipart_type = _multipart(jpeg)
    cases = {
        "raw": (jpeg, {"Content-Type": "image/jpeg", "Accept": "image/png"}, b"\x89PNG"),
        "multipart": (multipart, {"Content-Type": multipart_type}, b'{"image":"iVBOR'),
        "json": (orjson.dumps({"photo": base64.b64encode(jpeg).decode()}),
                 {"Content-Type": "application/json"}, b'{"image":"iVBOR'),
    }
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.connect()
    # As curl and requests do: without it, http.client's separate writes of headers and body
    # met delayed ACKs, and a raw or multipart request took 81-103 ms for 28-31 ms of server CPU.
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    results = {}
    try:
        for name, (body, headers, starts) in cases.items():
            def post() -> None:
                connection.request("POST", PATH, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                if response.status != 200 or not payload.startswith(starts):
                    raise RuntimeError(f"{name}: HTTP {response.status}: {payload[:300]!r}")

            post()
            before = server.cpu_seconds()
            wall = _median_ms(post)
            cpu = (server.cpu_seconds() - before) / (SAMPLES + 1) * 1e3
            results[name] = {"p50_ms": wall, "server_cpu_ms": cpu}
    finally:
        connection.close()
    return results


def measure(directory: Path, server_class=None) -> dict:
    """The whole section: in-process steps, then the three HTTP paths against one server.

    ``server_class`` is ``bench.run.Server`` as the caller holds it (under ``python -m
    bench.run`` that is ``__main__``'s, whose registry of started processes is the one stopped).
    """
    if server_class is None:
        from .run import Server as server_class

    jpeg = _photo()
    models = models_file(directory)
    results = {"jpeg_bytes": len(jpeg), "samples": SAMPLES, "in_process": in_process(models, jpeg)}
    with server_class("service", 1, models) as server:
        results["http"] = over_http(server, jpeg)
    return results


def lines(results: dict) -> list[str]:
    """The table rows of this section."""
    proc, http = results["in_process"], results["http"]
    added = proc["service_path_ms"] - proc["model_ms"]
    rows = [
        f"640x480 JPEG ({results['jpeg_bytes'] / 1e3:.0f} kB) in, PNG out (medians of "
        f"{results['samples']}; in-process: CPU time; HTTP: 1 worker, 1 connection)",
        f"  {'model.predict alone, in-process':<44}{proc['model_ms']:>8.1f} ms",
        f"  {'+ input checked and decoded, from bytes':<44}{proc['input_from_bytes_ms']:>8.1f} ms"
        f"  (from base64 JSON {proc['input_from_base64_ms']:.1f} ms)",
        f"  {'+ output checked and encoded as PNG':<44}{proc['output_png_ms']:>8.1f} ms",
        f"  {'service path in-process (no HTTP)':<44}{proc['service_path_ms']:>8.1f} ms"
        f"  ({added:+.1f} ms over the model)",
    ]
    labels = {"raw": "raw body + Accept: image/png", "multipart": "multipart",
              "json": "JSON with base64"}
    for name, label in labels.items():
        figures = http[name]
        rows.append(f"  {'over HTTP, ' + label:<44}{figures['server_cpu_ms']:>8.1f} ms"
                    f"  server CPU per request (wall p50 {figures['p50_ms']:.1f} ms)")
    return rows


def main() -> int:
    from .run import stop_all

    try:
        with tempfile.TemporaryDirectory() as tmp:
            results = measure(Path(tmp))
    finally:
        stop_all()
    print("\n".join(lines(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
