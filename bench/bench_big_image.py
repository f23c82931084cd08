"""Peak memory and time of ``kameng letter`` and of preparing an upload for one huge evidence image.

Usage: ``.venv/bin/python bench/bench_big_image.py [--width 11000 --height 8000]``. Builds a copy of the
example case whose first evidence is a single-colour RGB PNG of the given size (88 megapixels by
default; it compresses to a few hundred kilobytes), then runs each step in a fresh process and prints
its peak resident memory (``resource.getrusage``, ``ru_maxrss``) and wall time.

Measured on a busy 2-core machine (see docs/performance.md): letter 1270 MB / 82 s before the images were
decoded small, 578 MB / 40 s after; WeChat Pay upload preparation 1045 MB → 498 MB.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
step, case_dir, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
from kameng_filer.case.loader import load_case
case = load_case(case_dir).case
t = time.perf_counter()
if step == "letter":
    from kameng_filer.letter import write_letter_pdf
    write_letter_pdf(case, out / "letter.pdf")
else:
    from kameng_filer.filing.evidence import prepare_files
    from kameng_filer.registry import spec
    prepare_files(case, spec(step).field("images"), out, anonymous_names=True)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"step": step, "seconds": round(time.perf_counter() - t, 2), "peak_mb": round(peak)}))
"""


def make_case(dest: Path, width: int, height: int) -> Path:
    """A copy of the example case with a ``width`` × ``height`` PNG as its first evidence file."""
    from PIL import Image

    shutil.copytree(ROOT / "examples", dest, dirs_exist_ok=True)
    Image.new("RGB", (width, height), (200, 220, 240)).save(dest / "evidence" / "order.png", optimize=False)
    return dest


def run(step: str, case_dir: Path, out: Path) -> dict:
    """Run one step in a fresh interpreter; its JSON line."""
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, step, str(case_dir), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return {"step": step, "error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    """Print one line per step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=11000)
    parser.add_argument("--height", type=int, default=8000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        case_dir = make_case(Path(tmp) / "case", args.width, args.height)
        print(f"image {args.width}×{args.height} ({args.width * args.height / 1e6:.0f} MP)")
        for step in ("letter", "wechat_pay"):
            out = Path(tmp) / step
            out.mkdir()
            print(json.dumps(run(step, case_dir, out), ensure_ascii=False))


if __name__ == "__main__":
    main()
