"""The machine a benchmark ran on, printed with its figures (CPU model, cores, OS, Python, load)."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path


def cpu_model() -> str:
    """The CPU model name (from /proc/cpuinfo on Linux, else ``platform.processor()``)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def describe() -> str:
    """One line: CPU model, logical cores, OS, Python version and the load average."""
    load = ""
    if hasattr(os, "getloadavg"):
        load = " · load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"machine: {cpu_model()} · {os.cpu_count()} logical cores · {platform.system()} {platform.release()}"
        f" · Python {platform.python_implementation()} {sys.version.split()[0]}{load}"
    )
