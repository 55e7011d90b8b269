"""REPORT.md: the summary, the scoreboard, then one section per target."""

from __future__ import annotations

from pathlib import Path

from ..readback.report_parts import Score, TargetSection
from .sections import all_scores, heading, not_run_line, profile_heading, result_text, split_waiting
from .summary import RULES


def markdown_page(sections: list[TargetSection], opening: list[str]) -> str:
    checked, waiting = split_waiting(all_scores(sections))
    out = [
        "# Does the paper hold here? He et al. 2015, Deep Residual Learning, reproduced",
        "",
        *[f"{line}  " for line in opening],
        "",
        "## Scoreboard",
        "",
        "### Checked here",
        "",
    ]
    if checked:
        out += ["| target | the paper says | profile | result | verdict |", "|---|---|---|---|---|"]
    else:
        out.append("Nothing yet.")
    out += [_score_row(s, _md(result_text(s)) + _md_seeds(s), f"{s.mark} {s.verdict.status}") for s in checked]
    out += ["", "### Not run yet", "", "| target | the paper says | profile | what runs it |", "|---|---|---|---|"]
    out += [_score_row(s, f"{_md(result_text(s) + '; ' if result_text(s) else '')}`{s.command}`") for s in waiting]
    out += ["", "### How verdicts are made", "", RULES]
    for section in sections:
        out += ["", f"## {heading(section)}", ""]
        if section.not_run:
            out.append(not_run_line(section))
        out += [f"- {_md(note)}" for note in section.notes]
        if section.table:
            out += ["", *_md_table(*section.table)]
        out += [f"![{section.target.name}]({p.relative_to(p.parents[1]).as_posix()})" for p in section.images]
        for part in section.profiles:
            out += ["", f"### {profile_heading(section, part)}", ""]
            out += [f"- {_md(note)}" for note in part.notes]
            if part.scores:
                out += ["", "| the paper says | result | verdict |", "|---|---|---|"]
                out += [
                    f"| {_md(s.what)} | {_md(s.verdict.detail or s.command or s.test_note)}{_md_seeds(s)} | {s.mark} {s.verdict.status} |"
                    for s in part.scores
                ]
            if part.table[1]:
                out += ["", *_md_table(*part.table)]
            alt = f"{section.target.name} {part.found.profile}"
            out += ["", *[f"![{alt}]({_relative(p, section)})" for p in part.images]]
    return "\n".join(out) + "\n"


def _score_row(s: Score, *cells: str) -> str:
    """A scoreboard row: the target, what the paper says (and where), the profile, then `cells`."""
    return f"| {s.target} | {_md(s.what)} <br><sub>{_md(s.section)}</sub> | {s.profile} | " + " | ".join(cells) + " |"


def _md_seeds(s: Score) -> str:
    """The command that trains the seeds a row says would resolve the paper's gap."""
    return f": `{s.command}`" if s.verdict.seeds and s.command else ""


def _relative(path: Path, section: TargetSection) -> str:
    parts = path.parts
    index = len(parts) - 1 - parts[::-1].index(section.target.name)
    return "/".join(parts[index:])


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *["| " + " | ".join(_md(c) for c in row) + " |" for row in rows],
    ]
