"""REPORT.html in a real browser (Debian's headless chromium, which `.ci/run` installs): it loads with no console
error, every image loads, and the scoreboard starts on the first 1280x800 screen."""

import os

import pytest

from .browser import find_chromium, read_page
from .conftest import cli_in_process, copy_results

CHROMIUM = find_chromium()
# In CI the browser is installed (.ci/run): there a missing one is a failure, never a skip.
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and os.environ.get("CI") != "true", reason="chromium is not installed (apt-get install chromium)"
)


@needs_chromium
def test_the_report_loads_cleanly_and_its_scoreboard_is_on_the_first_screen(fig1_smoke, tmp_path):
    assert CHROMIUM is not None, "chromium is not installed: .ci/run installs it (apt-get install chromium)"
    results = copy_results(fig1_smoke, tmp_path / "results")
    assert cli_in_process("report", "--results", str(results)).returncode == 0
    opening = ["out of scope", "A CPU alone checks", "Scoreboard", "Checked here", "How verdicts are made"]
    reading = read_page(CHROMIUM, results / "REPORT.html", opening)
    assert reading.errors == []
    assert len(reading.images) >= 2  # fig1's figure, drawn from the smoke runs, and the others the report shows
    assert all(image["complete"] and image["width"] > 0 for image in reading.images), reading.images
    tops = reading.tops
    assert None not in tops.values(), tops
    # first what the report covers and what this machine can check, then the scoreboard, its first rows on the
    # screen; how verdicts are made comes after it
    assert tops["out of scope"] < tops["A CPU alone checks"] < tops["Scoreboard"] < tops["Checked here"] < 800 - 100
    assert tops["How verdicts are made"] > tops["Checked here"]


@needs_chromium
def test_the_browser_check_sees_a_console_error_a_broken_image_and_a_heading_below_the_screen(tmp_path):
    assert CHROMIUM is not None
    page = tmp_path / "page.html"
    page.write_text(
        "<!doctype html><html><body><div style='height:1500px'></div><h2>Scoreboard</h2>"
        "<img alt='gone' src='data:image/png;base64,bm90IGFuIGltYWdl'><script>console.error('boom')</script>"
        "</body></html>"
    )
    reading = read_page(CHROMIUM, page, ["Scoreboard", "nowhere"])
    assert any("boom" in error for error in reading.errors)
    assert reading.images == [{"complete": True, "width": 0, "alt": "gone"}]
    assert reading.tops["Scoreboard"] > 1500 and reading.tops["nowhere"] is None
