"""Build speed and size: every module in every format (whole-program packages and cartridges too) from a
cold process, five times; the target is under 2 seconds.

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
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 5
FIRST = ("m1_", "stop_sexting.")  # one module package and every whole-program package


def cold_build(out: Path) -> tuple[float, int]:
    """One build in a new interpreter; returns wall seconds and peak resident memory in KiB."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "exporter.cli", "build", "--out", str(out), "--lessons", str(ROOT / "lessons"),
         "--tool-url", "https://lti.example.org"],
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
            print(f"  {package.name:<44} {package.stat().st_size:>9,} bytes")
        print(f"  {'total':<44} {sum(p.stat().st_size for p in packages):>9,} bytes")
        print("runtime JS one package ships (unminified):")
        for package in packages:
            if package.name.startswith(FIRST):
                print(f"  {package.name:<44} {runtime_bytes(package):>9,} bytes")
    print(f"  {'templates/style.css':<44} {(ROOT / 'templates' / 'style.css').stat().st_size:>9,} bytes")


def runtime_bytes(package: Path) -> int:
    """The JS of the package's first module: what a learner's browser loads for one module."""
    with zipfile.ZipFile(package) as archive:
        scripts = [info for info in archive.infolist() if info.filename.endswith(".js")]
    folders = sorted({info.filename.rsplit("assets/", 1)[0] for info in scripts})
    return sum(info.file_size for info in scripts if folders and info.filename.startswith(folders[0] + "assets/"))

if __name__ == "__main__":
    main()
