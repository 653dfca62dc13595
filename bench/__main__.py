"""``python -m bench [--quick] [--only SECTION]``: vendorkit measured side by side with a
hand-written aiohttp loop (the practical limit), hand-written export loops and dlt's RESTClient,
plus the engine's per-request cost, quota use, peak memory, the sandbox's serving rate and
the scale-out of 12 accounts from 1 to 3 Celery workers.

Writes ``bench/results.json`` (raw figures), ``docs/performance.md`` and ``docs/performance.png``
(both made from that JSON). ``--only`` re-runs one section and keeps the others' last results.
Everything runs on 127.0.0.1; nothing here is part of the tests' pass/fail.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import _report, _scaleout, _sections, _throughput

RESULTS = Path(__file__).resolve().parent / "results.json"

SECTIONS: dict[str, tuple[str, Callable[[bool], dict[str, Any]]]] = {
    "throughput": ("throughput, ratios to the hand fan-out", _throughput.run),
    "engine": ("per-request CPU of the engine, Redis limiter latency", _sections.engine_cost),
    "quota": ("quota use, 1 and 4 processes", _sections.quota),
    "memory": ("peak RSS of an export", _sections.memory),
    "sandbox": ("sandbox emulators' list pages per second", _sections.sandbox),
    "scaleout": ("12 accounts on the Celery engine, 1 and 3 workers", _scaleout.run),
}


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke-sized run (< 3 minutes)")
    parser.add_argument("--only", choices=sorted(SECTIONS), help="run this section only")
    parser.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="throughput: how long one baseline walk should take (default 0.5, quick 0.1)",
    )
    return parser.parse_args(argv)


def load_previous() -> dict[str, Any]:
    if RESULTS.exists():
        return dict(json.loads(RESULTS.read_text(encoding="utf-8")))
    return {}


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    command = "python -m bench " + " ".join(sys.argv[1:] if argv is None else argv)
    results = load_previous() if args.only else {}
    this_run = _report.machine(command.strip())
    if args.only and "machine" in results:  # the full run's machine line stays; note this one
        results["machine"].setdefault("reruns", []).append(
            f"{args.only}: `{this_run['command']}`, {this_run['date']}, commit {this_run['commit']}"
        )
    else:
        results["machine"] = this_run
    names = [args.only] if args.only else list(SECTIONS)
    print(
        f"# vendorkit benchmarks: {results['machine']['cores']} cores, "
        f"python {results['machine']['python']}",
        flush=True,
    )
    for name in names:
        title, run = SECTIONS[name]
        print(f"\n## {title}", flush=True)
        started = time.monotonic()
        if name == "throughput":
            results[name] = _throughput.run(args.quick, seconds=args.seconds)
        else:
            results[name] = run(args.quick)
        print(f"  ({time.monotonic() - started:.0f} s)", flush=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    _report.write(results)
    body = _report.markdown(results)
    print("\n" + body[body.index("Machine:") :])
    print(f"written: {RESULTS.relative_to(RESULTS.parent.parent)}, docs/performance.md")


if __name__ == "__main__":
    main()
