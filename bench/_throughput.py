"""Records per second of every client in every scenario: 3 pagination styles x {0, 20 ms}
latency x page sizes {100, 1000}, each measurement in a fresh process, interleaved across
clients (so a slow minute on a shared machine hits every client alike), medians of the repeats.

The collection size of a scenario is chosen from a short probe of the baseline so that one
baseline walk takes about ``seconds``. LeadDesk's adapter asks for at most 500 per page (its
documented maximum), so the page style's "1000" scenario runs every client at 500.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bench._clients import CLIENTS, Target
from bench._procs import data_server, run_worker
from bench._records import STYLES

LATENCIES = (0, 20)
PAGE_SIZES = (100, 1000)
MAX_PAGE = {"offset": 1000, "page": 500, "cursor": 1000}  # what each adapter sends at most
PROBE_PAGES = 24


@dataclass(frozen=True)
class Scenario:
    style: str
    latency_ms: int
    page_size: int  # as asked
    effective: int  # as sent by every client

    @property
    def name(self) -> str:
        return f"{self.style}/{self.latency_ms}ms/{self.page_size}"


def scenarios() -> list[Scenario]:
    return [
        Scenario(style, lat, size, min(size, MAX_PAGE[style]))
        for lat in LATENCIES
        for size in PAGE_SIZES
        for style in STYLES
    ]


def rate(result: dict[str, Any]) -> float:
    return float(result["records"]) / float(result["seconds"])


def measure(client: str, target: Target) -> dict[str, Any]:
    return run_worker("bench._worker", {"client": client, "target": asdict(target)})


def size_for(scenario: Scenario, root: str, seconds: float) -> int:
    """Records for one baseline walk of about ``seconds``: probe a few dozen pages, scale up,
    round to whole pages (at least 8 pages, so there is always something to fan out)."""
    probe = Target(
        scenario.style,
        root,
        scenario.latency_ms,
        scenario.effective * PROBE_PAGES,
        scenario.effective,
    )
    measure("hand", probe)  # a first, cold walk (imports, the server's page cache)
    per_second = rate(measure("hand", probe))
    pages = max(8, round(per_second * seconds / scenario.effective))
    return pages * scenario.effective


def run_scenario(
    scenario: Scenario, root: str, clients: Sequence[str], repeats: int, seconds: float
) -> dict[str, Any]:
    total = size_for(scenario, root, seconds)
    target = Target(scenario.style, root, scenario.latency_ms, total, scenario.effective)
    measure("hand", target)  # warm the server's page cache for this collection
    runs: dict[str, list[dict[str, Any]]] = {c: [] for c in clients}
    for _ in range(repeats):
        for client in clients:  # interleaved: one of each, then again
            runs[client].append(measure(client, target))
    medians = {c: statistics.median(rate(r) for r in rs) for c, rs in runs.items()}
    return {
        **asdict(scenario),
        "records": total,
        "rates": {c: [rate(r) for r in rs] for c, rs in runs.items()},
        "median_rate": medians,
        "ratio": {c: medians[c] / medians["hand"] for c in clients},
    }


def run(
    quick: bool, clients: Sequence[str] | None = None, seconds: float | None = None
) -> dict[str, Any]:
    """Every scenario; ``quick`` shortens the walks and repeats once."""
    chosen = list(clients or CLIENTS)
    if "hand" not in chosen:
        chosen.insert(0, "hand")
    repeats = 1 if quick else 3
    seconds = seconds if seconds is not None else (0.1 if quick else 0.5)
    out = []
    with data_server() as root:
        for scenario in scenarios():
            result = run_scenario(scenario, root, chosen, repeats, seconds)
            print(_line(result), flush=True)
            out.append(result)
    return {"repeats": repeats, "baseline_seconds": seconds, "scenarios": out}


def _line(result: dict[str, Any]) -> str:
    name = f"{result['style']}/{result['latency_ms']}ms/{result['effective']}"
    ratios = " ".join(f"{c}={r:.2f}" for c, r in result["ratio"].items() if c != "hand")
    base = result["median_rate"]["hand"]
    return f"  {name:<18} n={result['records']:<8,} hand={base:>9,.0f}/s  {ratios}"
