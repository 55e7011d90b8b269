"""Rich progress lines for training (iteration, lr, loss, error, img/s, ETA); quiet when not a terminal.

One line per run in progress: a plain `run` shows one at a time, `run --jobs N` up to N at once.
"""

from __future__ import annotations

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Column
from rich.text import Text

from ..context import Reporter
from .common import console


class TwoLineProgress(Progress):
    """Each run on two lines: its name, bar, iterations and times; under it the numbers of the last log point and the
    whole target's time left. On one line an 80-column terminal cut the numbers, the bar and the times short."""

    def get_renderables(self):
        for task in self.tasks:
            yield self.make_tasks_table([task])
            yield Text(f"  {task.fields.get('stats', '')}", overflow="fold")


class RichReporter(Reporter):
    def __init__(self):
        self.interactive = console.is_terminal
        self.progress: Progress | None = None
        self.tasks: dict[str, int] = {}  # run name -> its line, while it trains
        self.current = ""  # the run a plain (one at a time) caller reports on
        self.totals: dict[str, int] = {}  # run name -> its last iteration, for the lines written to a log
        self.clock = None  # the whole target's ETA (train.clock.TargetClock)

    def lane(self, run_name: str) -> Reporter:
        return _Lane(self, run_name)

    def start(self, run_name: str, total: int, done: int) -> None:
        self.current = run_name
        self.start_run(run_name, total, done)

    def follow_target(self, clock) -> None:
        self.clock = clock

    def update(self, iteration: int, stats: dict) -> None:
        self.update_run(self.current, iteration, stats)

    def finish(self) -> None:
        self.finish_run(self.current)

    def message(self, text: str) -> None:
        console.print(text)  # printed above the live lines

    def start_run(self, run_name: str, total: int, done: int) -> None:
        self.totals[run_name] = total
        if not self.interactive:
            console.print(f"training {run_name} from iteration {done} of {total}")
            return
        if self.progress is None:
            self.progress = TwoLineProgress(
                TextColumn("[bold]{task.description}", table_column=Column(no_wrap=True, overflow="ellipsis")),
                BarColumn(bar_width=24),
                MofNCompleteColumn(),
                TimeElapsedColumn(),  # ticks every second, so a test pass between log points never looks like a hang
                TimeRemainingColumn(),
                console=console,
            )
            self.progress.start()
        self.tasks[run_name] = self.progress.add_task(run_name, total=total, completed=done, stats="")

    def update_run(self, run_name: str, iteration: int, stats: dict) -> None:
        test = shown_test_error(iteration, stats.get("test_error"), stats.get("test_iteration"))
        text = (
            f"lr {stats['lr']:.3g}  loss {stats['loss']:.3f}  err {stats['error']:.1f}%{test}  "
            f"{stats['images_per_s']:.0f} img/s"
        )
        # one run at a time: the clock follows the run in progress; `run --jobs`: each line names its run
        whole = self.clock and self.clock.line(iteration, stats["images_per_s"], None if self.current else run_name)
        if whole:
            text += f"  ({whole})"
        if not self.interactive:  # a log file gets a line at every log point, not minutes of silence
            total = self.totals.get(run_name)
            console.print(
                f"{run_name} {iteration}/{total}: {text}" if total else f"{run_name} {iteration}: {text}",
                highlight=False,
                markup=False,
            )
            return
        if self.progress is None or run_name not in self.tasks:
            return
        self.progress.update(self.tasks[run_name], completed=iteration, stats=text)

    def finish_run(self, run_name: str) -> None:
        self.tasks.pop(run_name, None)
        if self.progress is not None and not self.tasks:  # finished lines stay on screen
            self.progress.stop()
            self.progress = None


def shown_test_error(iteration: int, error: float | None, measured_at: float | None) -> str:
    """The last test error, with the iteration it was measured at unless that is this line's: the test set is
    evaluated only every few log points, and a repeated number must not read as a fresh one."""
    if error is None:
        return ""
    if measured_at is not None and int(measured_at) == iteration:
        return f" test {error:.2f}%"
    age = f"at {int(measured_at)}" if measured_at is not None else "earlier"
    return f" test {error:.2f}% ({age})"


class _Lane(Reporter):
    """One run's view of a shared RichReporter."""

    def __init__(self, board: RichReporter, run_name: str):
        self.board, self.run_name = board, run_name

    def start(self, run_name: str, total: int, done: int) -> None:
        self.board.start_run(run_name, total, done)

    def update(self, iteration: int, stats: dict) -> None:
        self.board.update_run(self.run_name, iteration, stats)

    def message(self, text: str) -> None:
        self.board.message(text)

    def finish(self) -> None:
        self.board.finish_run(self.run_name)
