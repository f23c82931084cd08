"""Cold start of the ``kameng`` command line: wall time of fresh processes and the heavy libraries each loads.

Usage: ``.venv/bin/python bench/bench_cli.py [-n 15]``

Each figure is the wall time of a new process (interpreter start included; the OS file cache is warm:
one untimed run goes first). Rows: ``kameng --help``, ``kameng check`` on a temporary copy of
``examples/`` (fresh temporary ``KAMENG_HOME``), ``python -c "import kameng_filer.cli"``, and for
comparison ``--help`` of an eager app that imports every command module (the design before lazy
loading). A second run of each under ``python -X importtime`` lists which heavy libraries it imported.
Target (issue 7): ``kameng --help`` < 300 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchinfo import cpu_model  # noqa: E402

KAMENG = Path(sys.executable).parent / "kameng"
TARGET_HELP_S = 0.300
HEAVY = (
    "sqlalchemy",
    "alembic",
    "playwright",
    "apscheduler",
    "jinja2",
    "PIL",
    "httpx",
    "apprise",
    "fpdf",
    "keyring",
    "chinese_calendar",
    "starlette",
    "uvicorn",
    "aiosmtpd",
    "pydantic",
    "yaml",
)
EAGER_HELP = (
    "import sys\n"
    "from kameng_filer.cli import app\n"
    "from kameng_filer.cli.gen_index import eager_app\n"
    "sys.argv = ['kameng', '--help']\n"
    "eager_app(app)()\n"
)


def timed_runs(cmd: list[str], env: dict[str, str], n: int) -> list[float]:
    """Wall seconds of ``n`` fresh processes running ``cmd`` (after one untimed warm-up run)."""
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        times.append(time.perf_counter() - t0)
        if proc.returncode not in (0, 1):  # check exits 1 when the case has errors; still a full run
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr.decode()}")
    return times


def heavy_modules(cmd: list[str], env: dict[str, str]) -> list[str]:
    """Heavy top-level packages ``cmd`` imports, read from ``python -X importtime``."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *cmd[1:]],  # every row runs ``sys.executable``
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    loaded = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            loaded.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return [name for name in HEAVY if name in loaded]


def main() -> None:
    """Time each command, list its heavy imports and print the table with the machine."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=15, help="timed runs per command (default 15)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kameng-bench-cli-") as tmp:
        case_dir = Path(tmp) / "case"
        shutil.copytree(ROOT / "examples", case_dir)
        home = Path(tmp) / "home"
        home.mkdir()
        env = {
            **os.environ,
            "KAMENG_HOME": str(home),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        }
        env.pop("PYTHONPROFILEIMPORTTIME", None)
        rows = [
            ("kameng --help", [sys.executable, str(KAMENG), "--help"]),
            (
                "kameng check examples/case.yaml",
                [sys.executable, str(KAMENG), "check", str(case_dir / "case.yaml")],
            ),
            ('python -c "import kameng_filer.cli"', [sys.executable, "-c", "import kameng_filer.cli"]),
            ("eager app --help (all command modules)", [sys.executable, "-c", EAGER_HELP]),
            ('python -c "pass" (interpreter alone)', [sys.executable, "-c", "pass"]),
        ]
        print(f"CPU: {cpu_model()}, {os.cpu_count()} logical cores; {platform.system()} {platform.release()}")
        print(f"Python {platform.python_version()} ({sys.executable})")
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
        busy = (
            " — machine busy: medians inflated, compare the minimums" if load > (os.cpu_count() or 1) else ""
        )
        print(f"load average (1 min) at start: {load:.2f}{busy}")
        print(f"{args.n} timed cold runs each (new process per run, warm OS file cache)\n")
        print(f"{'command':42s} {'median':>8s} {'min':>8s}  heavy libraries imported")
        results = {}
        for label, cmd in rows:
            times = timed_runs(cmd, env, args.n)
            results[label] = (statistics.median(times), min(times))
            heavy = heavy_modules(cmd, env)
            print(
                f"{label:42s} {statistics.median(times) * 1000:6.0f}ms {min(times) * 1000:6.0f}ms  "
                + (", ".join(heavy) or "none")
            )
        median, best = results["kameng --help"]
        verdict = (
            "met"
            if median < TARGET_HELP_S
            else ("MISSED (minimum meets it)" if best < TARGET_HELP_S else "MISSED")
        )
        print(f"\ntarget kameng --help < {TARGET_HELP_S * 1000:.0f} ms (median): {verdict}")


if __name__ == "__main__":
    main()
