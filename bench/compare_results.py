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
PARSED = {".json": json.loads, ".csv": lambda text: list(csv.DictReader(io.StringIO(text)))}


def same_file(a: Path, b: Path, folders: list[tuple[str, str]]) -> bool:
    raw_a, raw_b = a.read_bytes(), b.read_bytes()
    if raw_a == raw_b:
        return True
    if a.suffix == ".pt":
        return _same_checkpoint(a, b)
    text_a, text_b = raw_a.decode(errors="replace"), raw_b.decode(errors="replace")
    for after, before in folders:  # the results folders, then the folders holding them (the data sits beside)
        text_b = text_b.replace(after, before)
    parse = PARSED.get(a.suffix)
    if parse is None:
        return text_a == text_b
    try:
        return _untimed(parse(text_a)) == _untimed(parse(text_b))
    except ValueError:  # a file cut short differs, said as such
        return False


def _untimed(value):
    if isinstance(value, dict):
        return {key: _untimed(v) for key, v in value.items() if not TIMES.search(str(key))}
    if isinstance(value, (list, tuple)):
        return [_untimed(v) for v in value]
    return value


def _same_checkpoint(a: Path, b: Path) -> bool:
    import torch  # only for checkpoints: the rest of the comparison reads text

    def equal(x, y) -> bool:  # as ==, but tensors compare by torch.equal
        if isinstance(x, dict):
            return isinstance(y, dict) and x.keys() == y.keys() and all(equal(x[k], y[k]) for k in x)
        if isinstance(x, list):
            return isinstance(y, list) and len(x) == len(y) and all(map(equal, x, y))
        if isinstance(x, torch.Tensor):
            return isinstance(y, torch.Tensor) and torch.equal(x, y)
        return x == y

    return equal(*(_untimed(torch.load(path, weights_only=True)) for path in (a, b)))


def files_in(folder: Path) -> set[Path]:
    """The files compared, relative to `folder`."""
    return {p.relative_to(folder) for p in folder.rglob("*") if p.is_file() and p.name not in SKIPPED}


def compare(before: Path, after: Path) -> list[str]:
    """What differs between the two folders: a line per file that differs or is in one folder only."""
    files = files_in(before) | files_in(after)
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
    print("\n".join(problems) or f"the same: {len(files_in(before))} files, apart from times")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
