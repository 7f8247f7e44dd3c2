"""How steady this machine is: why ``make bench`` interleaves its rounds.

``make bench`` wants the rounds of each single-prediction figure within 15% of each other (what
the target is for: no worker left idle while another is saturated). On a shared host the
machine's own speed moves too, and a figure cannot be steadier than the machine it is measured
on. This runs the bench's load run (``bench.run.load``: wrk, same body, same workers) many times
in a row, the service and the hand-written endpoint alternating, and reports for each how far
its runs spread: over the whole sequence, and as rounds of one 8 s run each, taken one after
the other, would judge it (every three consecutive runs).
The hand-written endpoint has nothing to balance and nothing to batch, so its spread is the
machine's: when it misses the tolerance too, consecutive rounds measure the host, not the
service, which is why ``make bench`` spreads every round's slices over the same stretch of time
(``bench.run.interleaved_rounds``).

Usage: ``make steadiness`` (or ``python -m bench.steadiness [CONNECTIONS] [RUNS]``; defaults 64
and 12 runs of each, about three and a half minutes). Printed only; nothing is written.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

from bench import run as bench

TOLERANCE = bench.ROUNDS_WITHIN
ROUNDS = 3  # rounds per figure in ``make bench`` (its ``ROUNDS``, but for a quick run)
spread = bench.spread


def rounds_spreads(rates: list[float], rounds: int = ROUNDS) -> list[float]:
    """The spread of every ``rounds`` consecutive runs: what rounds of one run each, taken one
    after the other (``make bench`` until 2026-12-08), would have judged, had they fallen there."""
    return [spread(rates[i:i + rounds]) for i in range(len(rates) - rounds + 1)]


def summary(rates: list[float]) -> dict:
    windows = rounds_spreads(rates)
    return {
        "runs": len(rates),
        "cv": statistics.pstdev(rates) / statistics.fmean(rates),
        "spread": spread(rates),
        "rounds_median": statistics.median(windows),
        "rounds_missing": sum(window > TOLERANCE for window in windows) / len(windows),
    }


def measure(connections: int, runs: int) -> dict[str, list[float]]:
    paths = {"service": bench.SERVICE_PATH.format(name="iris_model"),
             "hand-written": bench.BASELINE_PATH}
    rates: dict[str, list[float]] = {side: [] for side in paths}
    with tempfile.TemporaryDirectory() as tmp, \
            bench.Server("service", bench.WORKERS, bench.models_file(Path(tmp), 1)) as service, \
            bench.Server("baseline", bench.WORKERS) as baseline:
        servers = {"service": service, "hand-written": baseline}
        for side, server in servers.items():
            bench.warm(server.url, paths[side])
        for index in range(runs):
            order = list(servers) if index % 2 == 0 else list(servers)[::-1]
            for side in order:
                result = bench.load(servers[side], paths[side], connections)
                rates[side].append(result["rps"])
                if side == "service":  # did its batching hold, or did the same work cost more
                    own = (f"{result['items_per_model_call']:.1f} requests per model call, "
                           f"{result['cpu_us_per_request']:.0f} us of CPU per request")
            bench.log(f"  run {index + 1}/{runs}: " + ", ".join(
                f"{side} {rates[side][-1]:.0f} req/s" for side in servers) + f" (service: {own})")
    return rates


def table(connections: int, rates: dict[str, list[float]]) -> str:
    figures = {side: summary(values) for side, values in rates.items()}
    sides = list(figures)
    rows = [
        ("runs' spread (cv)", lambda f: f"{f['cv']:.1%}"),
        ("slowest to fastest run", lambda f: f"{f['spread']:.2f}x"),
        (f"{ROUNDS} consecutive runs, median", lambda f: f"{f['rounds_median']:.2f}x"),
        (f"... spread over {TOLERANCE - 1:.0%}", lambda f: f"{f['rounds_missing']:.0%}"),
    ]
    lines = [f"Steadiness of this machine: {figures[sides[0]]['runs']} load runs of "
             f"{bench.DURATION}s each at {connections} connections, the two alternating "
             f"({bench.WORKERS} workers each)", "",
             f"{'':36}" + "".join(f"{side:>16}" for side in sides)]
    lines += [f"  {label:34}" + "".join(f"{cell(figures[side]):>16}" for side in sides)
              for label, cell in rows]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    connections = int(argv[0]) if argv else 64
    runs = int(argv[1]) if len(argv) > 1 else 12
    if runs < ROUNDS:
        bench.log(f"at least {ROUNDS} runs are needed")
        return 2
    print(table(connections, measure(connections, runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
