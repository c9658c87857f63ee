"""Rebuild the tuning photos from local snapshots of their source repositories, checking every sha256.

    python benchmarks/tuning/rebuild.py --mirrors /work/.mirror --out /work/tuning-photos

A mirror is a bare git directory ``<mirrors>/<owner>+<name>/repo`` (as the team's fetch tool leaves it;
``git clone --mirror https://github.com/<owner>/<name> <mirrors>/<owner>+<name>/repo`` makes one).  Each
photo is ``git show <commit>:<path>`` from its repository; derived photos (``derived_from``: the turned
copies) are made from the rebuilt original the same way they were made (PIL transpose, JPEG quality 95)
and their sha256 checked too.  Photos whose hash differs are reported and left out, never silently kept.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import subprocess
import sys
from pathlib import Path

MANIFEST = Path(__file__).with_name("manifest.csv")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def turned_copy(original: Path, degrees: int, target: Path) -> None:
    from PIL import Image

    transpose = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}
    with Image.open(original) as image:
        image.transpose(transpose[degrees]).save(target, quality=95)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--out", type=Path, default=Path("/work/tuning-photos"))
    args = parser.parse_args()
    with open(MANIFEST, newline="") as f:
        rows = list(csv.DictReader(f))
    bad = []
    for row in sorted(rows, key=lambda r: bool(r["derived_from"])):  # originals first
        target = args.out / row["file"]
        target.parent.mkdir(parents=True, exist_ok=True)
        if row["derived_from"]:
            degrees = int(re.search(r"_cw(\d+)\.jpg$", row["file"]).group(1))
            turned_copy(args.out / row["derived_from"], degrees, target)
            data = target.read_bytes()
        else:
            git_dir = args.mirrors / row["source_repo"].replace("/", "+") / "repo"
            data = subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{row['commit']}:{row['path_in_repo']}"],
                                  check=True, capture_output=True).stdout
            target.write_bytes(data)
        if sha256(data) != row["sha256"]:
            bad.append(row["file"])
            target.unlink()
    print(f"{len(rows) - len(bad)} photos rebuilt in {args.out}; {len(bad)} with a different sha256: {bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
