"""On an 80-column terminal no progress line is folded: the whole target's time left takes a line of its own when
the numbers leave no room for it."""

import io

from rich.console import Console, Group


def board_lines(monkeypatch, width: int) -> list[str]:
    from resnet_repro.cli import progress

    screen = Console(width=width, force_terminal=True, file=io.StringIO(), record=True)
    monkeypatch.setattr(progress, "console", screen)

    class Clock:
        def line(self, iteration, rate, run):
            return "run 2 of 4, fig6 about 12 min left"

    reporter = progress.RichReporter()
    reporter.follow_target(Clock())
    name = "fashion-mnist/resnet-56-A/cpu/seed0"
    reporter.start_run(name, 500, 0)
    stats = {"lr": 0.1, "loss": 0.642, "error": 24.7, "images_per_s": 217.0, "test_error": 27.46, "test_iteration": 300}
    reporter.update_run(name, 400, stats)
    screen.print(Group(*reporter.progress.get_renderables()))
    reporter.finish_run(name)
    return [line.rstrip() for line in screen.export_text().splitlines() if line.strip()][-3:]


def test_at_80_columns_every_progress_line_fits_and_the_time_left_has_its_own(monkeypatch):
    numbers, whole = board_lines(monkeypatch, 80)[-2:]
    assert len(numbers) <= 80 and len(whole) <= 80
    assert numbers == "  lr 0.1  loss 0.642  err 24.7% test 27.46% (at 300)  217 img/s"
    assert whole == "  (run 2 of 4, fig6 about 12 min left)"


def test_a_wide_terminal_keeps_the_numbers_and_the_time_left_on_one_line(monkeypatch):
    numbers = board_lines(monkeypatch, 160)[-1]
    assert numbers.endswith("217 img/s  (run 2 of 4, fig6 about 12 min left)")
