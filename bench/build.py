"""Build speed and size: every module in every format from a cold process, five times.

Prints the median wall time and the peak memory of a cold `stopsexting build`, the bytes of every
package, and the bytes of the runtime JS and CSS shipped in each package.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 5


def cold_build(out: Path) -> tuple[float, int]:
    """One build in a new interpreter; returns wall seconds and peak resident memory in KiB."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "exporter.cli", "build", "--out", str(out), "--lessons", str(ROOT / "lessons")],
        cwd=ROOT, stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("build failed")
    return elapsed, usage.ru_maxrss


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        runs = [cold_build(out / f"run{i}") for i in range(RUNS)]
        times = [t for t, _ in runs]
        print(f"cold build of every module in every format, {RUNS} runs:")
        print(f"  wall time   median {statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f})")
        print(f"  peak memory {max(m for _, m in runs) / 1024:.1f} MiB")
        packages = sorted((out / "run0").iterdir())
        print(f"packages ({len(packages)}):")
        for package in packages:
            print(f"  {package.name:<40} {package.stat().st_size:>9,} bytes")
        print(f"  {'total':<40} {sum(p.stat().st_size for p in packages):>9,} bytes")
    runtime = sorted((ROOT / "templates" / "runtime").glob("*.js"))
    print("runtime shipped in packages (unminified):")
    for path in [*runtime, ROOT / "templates" / "style.css"]:
        print(f"  {path.relative_to(ROOT)!s:<40} {path.stat().st_size:>9,} bytes")
    print(f"  {'all runtime JS':<40} {sum(p.stat().st_size for p in runtime):>9,} bytes")


if __name__ == "__main__":
    main()
