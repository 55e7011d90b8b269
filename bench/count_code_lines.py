"""Code lines of the package at git revisions, or the change each commit made: how the size of resnet_repro/ is
counted in docs/architecture.md.

    python bench/count_code_lines.py REV [REV ...]          # the total at each revision
    python bench/count_code_lines.py --commits A..B         # each commit's change, its subject, and the sum
    python bench/count_code_lines.py --commits A..B --only SHA [--only SHA ...]   # the sum over chosen commits

A code line is a line of a .py file under resnet_repro/ that holds a token of code: blank lines, comment lines and
docstrings (a string that opens a module, class or function) are not counted; a statement spread over three lines
counts three. Merges are skipped; a commit's change is its files' count after minus before, each path on its own
(a file moved unchanged adds nothing: its old path is counted out, its new one in).
"""

from __future__ import annotations

import argparse
import ast
import io
import subprocess
import tokenize

PACKAGE = "resnet_repro"
NOT_CODE = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}


def code_lines(source: str) -> int:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return 0
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                docstrings.update(range(first.lineno, first.end_lineno + 1))
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in NOT_CODE:
            lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines - docstrings)


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def _source(rev: str, path: str) -> str:
    shown = subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True, text=True)
    return shown.stdout if shown.returncode == 0 else ""  # absent at this revision: no lines


def total(rev: str) -> int:
    paths = _git("ls-tree", "-r", "--name-only", rev, PACKAGE).split()
    return sum(code_lines(_source(rev, path)) for path in paths if path.endswith(".py"))


def commit_change(sha: str) -> int:
    paths = [
        path
        for path in _git("diff", "--no-renames", "--name-only", f"{sha}^", sha, "--", PACKAGE).split()
        if path.endswith(".py")
    ]
    return sum(code_lines(_source(sha, path)) - code_lines(_source(f"{sha}^", path)) for path in paths)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revs", nargs="*", help="revisions whose totals to print")
    parser.add_argument("--commits", help="a range A..B: each non-merge commit's change")
    parser.add_argument("--only", action="append", default=[], help="with --commits: sum these commits alone")
    args = parser.parse_args()
    for rev in args.revs:
        print(f"{total(rev):>7}  {rev}")
    if args.commits:
        chosen = {_git("rev-parse", sha).strip() for sha in args.only}
        summed = 0
        for sha in _git("rev-list", "--reverse", "--no-merges", args.commits).split():
            if chosen and sha not in chosen:
                continue
            change = commit_change(sha)
            summed += change
            print(f"{change:>+7}  {_git('log', '-1', '--format=%h %s', sha).strip()[:100]}")
        print(f"{summed:>+7}  in all")


if __name__ == "__main__":
    main()
