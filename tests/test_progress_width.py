"""On an 80-column terminal no progress line is folded: the whole target's time left takes a line of its own when
the numbers leave no room for it."""

import io

from rich.console import Console, Group


def board_lines(monkeypatch, width: int, tested_at: int = 300) -> list[str]:
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
    stats = {
        "lr": 0.1,
        "loss": 0.642,
        "error": 24.7,
        "images_per_s": 217.0,
        "test_error": 27.46,
        "test_iteration": tested_at,
    }
    reporter.update_run(name, 400, stats)
    screen.print(Group(*reporter.progress.get_renderables()))
    reporter.finish_run(name)
    return [line.rstrip() for line in screen.export_text().splitlines() if line.strip()][-3:]


def test_at_80_columns_every_progress_line_fits_and_the_time_left_has_its_own(monkeypatch):
    """The bar, iterations, elapsed and remaining time on one line, the numbers and the whole target's time left on the
    next: on one line an 80-column terminal cut the bar, the times and the target's ETA off."""
    bar, numbers, whole = board_lines(monkeypatch, 80)
    assert bar.strip().startswith("fashion-mnist/resnet-56-A/cpu/seed0") and "400/500" in bar
    assert bar.count(":") >= 4 and "━" in bar  # elapsed and remaining h:mm:ss, and the bar itself
    assert len(numbers) <= 80 and len(whole) <= 80
    assert numbers == "  lr 0.1  loss 0.642  err 24.7% test 27.46% (at 300)  217 img/s"
    assert whole == "  (run 2 of 4, fig6 about 12 min left)"


def test_a_test_error_measured_at_this_iteration_says_no_iteration_of_its_own(monkeypatch):
    assert board_lines(monkeypatch, 80, tested_at=400)[-2] == "  lr 0.1  loss 0.642  err 24.7% test 27.46%  217 img/s"


def test_a_wide_terminal_keeps_the_numbers_and_the_time_left_on_one_line(monkeypatch):
    numbers = board_lines(monkeypatch, 160)[-1]
    assert numbers.endswith("217 img/s  (run 2 of 4, fig6 about 12 min left)")


def test_every_line_a_smoke_run_logs_fits_80_columns(fig1_smoke_run):
    """Off a terminal (a log, CI) each log point is a line of the run's net and seed and its numbers, and the target's
    time left a line of its own: none is wider than an 80-column terminal or pager."""
    _, result = fig1_smoke_run
    lines = result.stdout.splitlines()
    logged = [line for line in lines if line.startswith(("training ", "plain-20 seed0", "plain-56 seed0"))]
    assert sum(line.startswith("training ") for line in logged) == 2  # a start line per run
    assert sum("img/s" in line for line in logged) == 2 * 4  # 4 log points each
    # the time left is printed when its words change, which depends on the machine's speed: once a run at least
    clock = [line for line in logged if line.endswith(" left") and "img/s" not in line]
    assert 2 <= len(clock) <= 2 * 4, clock
    assert max(len(line) for line in logged) <= 80, max(logged, key=len)


def log_lines(monkeypatch, name: str, total: int, points: list[tuple[int, dict]]) -> list[str]:
    from resnet_repro.cli import progress

    log = Console(width=200, force_terminal=False, file=io.StringIO(), record=True)
    monkeypatch.setattr(progress, "console", log)

    class Clock:
        def line(self, iteration, rate, run):
            return "run 7 of 9, table4 about 3 h left" if iteration < 600000 else "run 7 of 9, table4 about 2 h left"

    reporter = progress.RichReporter()
    reporter.follow_target(Clock())
    reporter.start_run(name, total, 0)
    for iteration, stats in points:
        reporter.update_run(name, iteration, stats)
    return log.export_text().splitlines()


def test_a_long_name_and_a_six_digit_count_put_the_numbers_under_the_run_and_the_time_left_only_when_it_changes(
    monkeypatch,
):
    stats = {"lr": 0.001, "loss": 1.234, "error": 34.5, "images_per_s": 1234.0, "test_error": 32.1}
    points = [(599000, {**stats, "test_iteration": 599000}), (599500, {**stats, "test_iteration": 599000})]
    points.append((600000, {**stats, "test_iteration": 600000}))
    lines = log_lines(monkeypatch, "imagenet/resnet-152-B-v1.5/paper-long/seed1", 600000, points)
    assert lines == [
        "training imagenet/resnet-152-B-v1.5/paper-long/seed1 from iteration 0 of 600000",
        "resnet-152-B-v1.5 seed1 599000/600000:",
        "  lr 0.001 loss 1.234 err 34.5% test 32.10% 1234 img/s",
        "resnet-152-B-v1.5 seed1: run 7 of 9, table4 about 3 h left",
        "resnet-152-B-v1.5 seed1 599500/600000: lr 0.001 loss 1.234 err 34.5% 1234 img/s",  # 80: it fits
        "resnet-152-B-v1.5 seed1 600000/600000:",
        "  lr 0.001 loss 1.234 err 34.5% test 32.10% 1234 img/s",
        "resnet-152-B-v1.5 seed1: run 7 of 9, table4 about 2 h left",
    ]


def test_a_run_of_a_profile_named_with_brackets_is_named_as_written(monkeypatch):
    # a recipe's profile smoke[x] was read as rich's markup: "training cifar10/plain-20/smoke/seed0 from ...", and the
    # board's line "cifar10/plain-20/smoke/seed0"
    name = "cifar10/plain-20/smoke[x]/seed0"
    assert log_lines(monkeypatch, name, 12, [])[0] == f"training {name} from iteration 0 of 12"
    from resnet_repro.cli import progress

    screen = Console(width=120, force_terminal=True, file=io.StringIO(), record=True)
    monkeypatch.setattr(progress, "console", screen)
    reporter = progress.RichReporter()
    reporter.start_run(name, 12, 0)
    screen.print(Group(*reporter.progress.get_renderables()))
    reporter.finish_run(name)
    assert screen.export_text().lstrip().startswith(f"{name} ")
