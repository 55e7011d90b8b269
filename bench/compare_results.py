"""Whether two results folders hold the same outputs, apart from times: the check that a change of the code's
layout changed no number.

    PYTHONPATH=. python3 bench/compare_results.py BEFORE AFTER

Run the same commands into two folders from two trees (the same data, `--threads` pinned), then compare them.
Files equal byte for byte count as equal. Otherwise JSON and CSV files are compared with their timing fields
left out (wall and elapsed seconds, images/s, start and end stamps) and the two folders' own paths made one;
meta.json's git commit and command line are expected to differ. Checkpoints are compared tensor by tensor
(read with weights_only, never unpickled). Prints each file that differs, and exits 1 if any does.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path

TIMES = re.compile(r"wall|elapsed|images_per_s|_at$|git_commit|^command$")
SKIPPED = {".lock", "checkpoints.sha256"}  # a lock's owner; the checkpoints' digests (their tensors are compared)


def same_file(a: Path, b: Path, folders: list[tuple[str, str]]) -> bool:
    raw_a, raw_b = a.read_bytes(), b.read_bytes()
    if raw_a == raw_b:
        return True
    if a.suffix == ".pt":
        return _same_checkpoint(a, b)
    text_a, text_b = raw_a.decode(errors="replace"), raw_b.decode(errors="replace")
    for after, before in folders:  # the results folders, then the folders holding them (the data sits beside)
        text_b = text_b.replace(after, before)
    if a.suffix == ".json":
        try:
            return _untimed(json.loads(text_a)) == _untimed(json.loads(text_b))
        except ValueError:  # a file cut short differs, said as such
            return False
    if a.suffix == ".csv":
        return _untimed(list(csv.DictReader(io.StringIO(text_a)))) == _untimed(
            list(csv.DictReader(io.StringIO(text_b)))
        )
    return text_a == text_b


def _untimed(value):
    if isinstance(value, dict):
        return {key: _untimed(v) for key, v in value.items() if not TIMES.search(str(key))}
    if isinstance(value, list):
        return [_untimed(v) for v in value]
    return value


def _same_checkpoint(a: Path, b: Path) -> bool:
    import torch  # only for checkpoints: the rest of the comparison reads text

    def equal(x, y) -> bool:
        if isinstance(x, dict):
            keys = {k for k in x if not TIMES.search(str(k))}
            return keys == {k for k in y if not TIMES.search(str(k))} and all(equal(x[k], y[k]) for k in keys)
        if isinstance(x, (list, tuple)):
            return len(x) == len(y) and all(equal(u, v) for u, v in zip(x, y))
        if isinstance(x, torch.Tensor):
            return isinstance(y, torch.Tensor) and torch.equal(x, y)
        return x == y

    return equal(torch.load(a, weights_only=True), torch.load(b, weights_only=True))


def compare(before: Path, after: Path) -> list[str]:
    """What differs between the two folders: a line per file that differs or is in one folder only."""
    files = {p.relative_to(before) for p in before.rglob("*") if p.is_file() and p.name not in SKIPPED}
    files |= {p.relative_to(after) for p in after.rglob("*") if p.is_file() and p.name not in SKIPPED}
    before_path, after_path = before.resolve(), after.resolve()
    folders = [(str(after_path), str(before_path)), (str(after_path.parent), str(before_path.parent))]
    problems = []
    for relative in sorted(files):
        a, b = before / relative, after / relative
        if not (a.exists() and b.exists()):
            problems.append(f"only in {'after' if b.exists() else 'before'}: {relative}")
        elif not same_file(a, b, folders):
            problems.append(f"differs: {relative}")
    return problems


def main(argv: list[str]) -> int:
    before, after = Path(argv[0]), Path(argv[1])
    problems = compare(before, after)
    count = sum(1 for p in before.rglob("*") if p.is_file() and p.name not in SKIPPED)
    print("\n".join(problems) or f"the same: {count} files, apart from times")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
