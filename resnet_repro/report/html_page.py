"""REPORT.html: the same as REPORT.md, one self-contained file (figures inlined) that reads on a phone too."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

from ..readback.report_parts import Score, TargetSection
from ..specs.experiments import profile_names
from ..store.results_file import IMAGE_BYTES, DamagedFile, read_bytes
from .sections import all_scores, heading, not_run_line, profile_heading, result_text, split_waiting
from .summary import RULES

# each verdict mark's symbol, drawn by every font (emoji or not), and its badge's colour
BADGES = {
    "✅": ("✓", "#1a7f37"),
    "❌": ("✗", "#cf222e"),
    "🟡": ("≈", "#9a6700"),
    "⏳": ("…", "#57606a"),
    "➖": ("–", "#57606a"),
}


STYLE = """
body{font:15px/1.45 -apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;max-width:1180px;margin:0 auto;
padding:12px 16px;color:#1f2328}
h1{font-size:1.5em;margin:.4em 0}h2{font-size:1.25em;border-bottom:1px solid #d0d7de;padding-bottom:.2em;
margin-top:1.6em}h3{font-size:1.05em;margin:1.2em 0 .4em}
table{border-collapse:collapse;width:100%;margin:.5em 0;table-layout:auto}
td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f6f8fa;white-space:nowrap;overflow-wrap:normal}td.num{text-align:right;white-space:nowrap}
.verdict{font-weight:600;color:#fff;border-radius:10px;padding:1px 8px;font-size:.9em;display:inline-block}
td.key{white-space:nowrap}.where{color:#57606a;font-size:.85em}
.rules,.notes{color:#3d444d;font-size:.93em}.notes li{margin:.15em 0}
code{background:#f6f8fa;padding:1px 4px;border-radius:4px;font-size:.9em;white-space:nowrap}
img{max-width:100%;height:auto;border:1px solid #eee}
@media (max-width:760px){
 table,thead,tbody,tr,td,th{display:block;width:auto}thead tr{display:none}
 tr{border:1px solid #d0d7de;margin:.5em 0;padding:.2em 0}td{border:none;padding:2px 8px;text-align:left}
 td.num{text-align:left;white-space:normal}code{white-space:normal}
 td::before{content:attr(data-label) ": ";font-weight:600;color:#57606a}
}
"""


def html_page(sections: list[TargetSection], opening: list[str]) -> str:
    body = ["<h1>Does the paper hold here? He et al. 2015, <i>Deep Residual Learning</i>, reproduced</h1>"]
    body += [f"<p>{_inline(line)}</p>" for line in opening]
    body.append("<h2 id='scoreboard'>Scoreboard</h2>")
    keys = frozenset(profile_names())  # short cells never broken over two lines: the profiles, read once
    body += _html_scoreboard(all_scores(sections), keys)
    body.append(f"<h3>How verdicts are made</h3><p class='rules'>{html.escape(RULES)}</p>")
    for section in sections:
        body += _html_target(section, keys)
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>resnet-repro report</title><style>{STYLE}</style></head><body>{''.join(body)}</body></html>\n"
    )


def _html_scoreboard(scores: list[Score], keys: frozenset) -> list[str]:
    """The claims checked here, with their verdicts, then the ones waiting for runs, with the command."""
    checked, waiting = split_waiting(scores)
    rows = [_html_score_row(s, _html_detail(s), _badge(s)) for s in checked]
    header = ["target", "the paper says", "profile", "result", "verdict"]
    body = ["<h3>Checked here</h3>", _html_table(header, rows, keys) if rows else "<p>Nothing yet.</p>"]
    rows = [_html_score_row(s, _html_waiting(s)) for s in waiting]
    body += ["<h3>Not run yet</h3>", _html_table(["target", "the paper says", "profile", "what runs it"], rows, keys)]
    return body


def _html_score_row(s: Score, *cells: str) -> list[str]:
    """A scoreboard row: the target (a link to its section), what the paper says, the profile, then `cells`."""
    claim = f"{html.escape(s.what)}<div class='where'>{html.escape(s.section)}</div>"
    return [f"<a href='#{s.target}'>{s.target}</a>", claim, html.escape(s.profile), *cells]


def _html_detail(s: Score) -> str:
    """A checked row's numbers, and the command that trains the seeds it says would resolve the paper's gap."""
    seeds = f": <code>{html.escape(s.command)}</code>" if s.verdict.seeds and s.command else ""
    return html.escape(result_text(s)) + seeds


def _html_waiting(s: Score) -> str:
    """What a claim still waits for, and the command that runs it (none for a test profile's row)."""
    detail = _inline(result_text(s)) if result_text(s) else ""  # its `--download` as code, as in REPORT.md
    return "<br>".join(part for part in (detail, s.command and f"<code>{html.escape(s.command)}</code>") if part)


def _html_target(section: TargetSection, keys: frozenset) -> list[str]:
    """One target's section: what is not run yet, its notes, table and figures, then each profile's part."""
    body = [f"<h2 id='{section.target.name}'>{html.escape(heading(section))}</h2>"]
    if section.not_run:
        body.append(f"<p>{_inline(not_run_line(section))}</p>")
    body.append(_html_notes(section.notes))
    if section.table:
        body.append(_html_table(*section.table, keys))
    body += [_html_image(p) for p in section.images]
    for part in section.profiles:
        body.append(f"<h3>{html.escape(profile_heading(section, part))}</h3>")
        body.append(_html_notes(part.notes))
        if part.scores:
            rows = [
                [html.escape(s.what), _html_detail(s) if s.verdict.detail else _html_waiting(s), _badge(s)]
                for s in part.scores
            ]
            body.append(_html_table(["the paper says", "result", "verdict"], rows, keys))
        if part.table[1]:
            header, table_rows = part.table
            body.append(_html_table(header, [[html.escape(c) for c in row] for row in table_rows], keys))
        body += [_html_image(p) for p in part.images]
    return body


def _inline(text: str) -> str:
    """Markdown's `code` spans as <code>, everything else escaped."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _badge(score: Score) -> str:
    symbol, colour = BADGES[score.mark]
    return (
        f"<span class='verdict' style='background:{colour}'>{symbol}&nbsp;"
        f"{html.escape(score.verdict.status).replace(' ', '&nbsp;')}</span>"
    )


def _html_notes(notes: list[str]) -> str:
    if not notes:
        return ""
    return "<ul class='notes'>" + "".join(f"<li>{_inline(n)}</li>" for n in notes) + "</ul>"


def _html_table(header: list[str], rows: list[list[str]], keys: frozenset) -> str:
    """Cells already escaped. Each cell carries its column name, so on a phone the rows stack as labelled blocks."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f"<td data-label='{html.escape(h)}'{_cls(c, keys)}>{c}</td>" for h, c in zip(header, row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# a seeds' mean (± their std, and the best seed), or a paper number saying what it summarises: 6.61 (mean of 5)
MEASURED = re.compile(r"\d+\.\d+( ± \d+\.\d+)?( \((best|best of|mean of) \d+(\.\d+)?\))?")


def _cls(cell: str, keys: frozenset) -> str:
    if cell.startswith(("<a href='#", "<span class='verdict'")) or cell == "—" or cell in keys:
        return " class='key'"  # short keys: never broken over two lines
    stripped = cell.replace(",", "").replace(".", "").replace("/", "").replace(" G", "").replace(" ", "")
    return " class='num'" if stripped.isdigit() or MEASURED.fullmatch(cell) else ""


def _html_image(path: Path) -> str:
    try:
        raw = read_bytes(path, IMAGE_BYTES)  # a regular file of bounded size: never a pipe's wait or a device's flood
    except (OSError, DamagedFile) as error:
        return f"<p>{html.escape(path.name)}: not shown ({html.escape(str(getattr(error, 'reason', error)))})</p>"
    if raw is None:
        return ""
    data = base64.b64encode(raw).decode()  # inlined, so the file can be shared alone
    return f"<p><img alt='{html.escape(path.stem)}' src='data:image/png;base64,{data}'></p>"
