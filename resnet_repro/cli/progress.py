"""Rich progress lines for training (iteration, lr, loss, error, img/s, ETA); quiet when not a terminal.

One line per run in progress: a plain `run` shows one at a time, `run --jobs N` up to N at once.
"""

from __future__ import annotations

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Column, Table
from rich.text import Text

from ..basics.errors import UserError
from ..specs.run_id import RunId
from ..train.context import Reporter
from .common import console

LOG_WIDTH = 80  # a log line's most columns: what a terminal, a pager or a CI page shows without wrapping


class RunBoard(Progress):
    """One run training: its name, bar, iterations and times on a line, and under it the numbers of the last log
    point and the whole target's time left (on one line, an 80-column terminal cut the bar, the times and the ETA
    off). Several at once (a pack, `--jobs`): a line each, its numbers cut to fit, and the target's time left once
    under them, so 18 packed runs take 19 lines."""

    whole = ""  # the whole target's time left, as the latest log point saw it

    def __init__(self, console):
        self.name = TextColumn(
            "[bold]{task.description}", table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1)
        )
        self.short = TextColumn("[bold]{task.fields[short]}", table_column=Column(no_wrap=True))  # resnet-56-A seed1
        # beside a bar, the errors first: what a narrow terminal cuts off is the lr and the speed
        self.numbers = TextColumn(
            "{task.fields[brief]}", table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1)
        )
        # the elapsed time ticks every second, so a test pass between log points never looks like a hang
        self.bar = [BarColumn(bar_width=16), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn()]
        super().__init__(self.name, *self.bar, console=console)

    def get_renderables(self):
        if len(self.tasks) == 1:
            yield self._table(self.tasks, [self.name, *self.bar])
            numbers, whole = f"  {self.tasks[0].fields.get('stats', '')}", f"  ({self.whole})" if self.whole else ""
            if len(numbers) + len(whole) <= self.console.width:
                yield Text(numbers + whole, overflow="fold")
            else:  # a line of its own rather than one folded mid-word at the terminal's edge (80 columns)
                yield Text(numbers, overflow="fold")
                yield Text(whole, overflow="fold")
            return
        yield self._table(self.tasks, [self.short, *self.bar, self.numbers])
        if self.whole:
            yield Text(f"  ({self.whole})", overflow="fold")

    @staticmethod
    def _table(tasks, columns) -> Table:
        """Progress.make_tasks_table over these columns, as wide as the terminal: the name or the numbers give way."""
        table = Table.grid(*(column.get_table_column().copy() for column in columns), padding=(0, 1), expand=True)
        for task in tasks:
            if task.visible:
                table.add_row(*(column(task) for column in columns))
        return table


class RichReporter(Reporter):
    def __init__(self):
        self.interactive = console.is_terminal
        self.progress: Progress | None = None
        self.tasks: dict[str, int] = {}  # run name -> its line, while it trains
        self.current = ""  # the run a plain (one at a time) caller reports on
        self.totals: dict[str, int] = {}  # run name -> its last iteration, for the lines written to a log
        self.clock = None  # the whole target's ETA (train.clock.TargetClock)
        self.clock_said: dict[str, str] = {}  # run name -> the target's time left its log lines last said

    def lane(self, run_name: str) -> Reporter:
        return _Lane(self, run_name)

    def start(self, run_name: str, total: int, done: int) -> None:
        self.current = run_name
        self.start_run(run_name, total, done)

    def follow_target(self, clock) -> None:
        self.clock = clock

    def update(self, iteration: int, stats: dict) -> None:
        self.update_run(self.current, iteration, stats)

    def advance(self, iteration: int) -> None:
        self.advance_run(self.current, iteration)

    def finish(self) -> None:
        self.finish_run(self.current)

    def message(self, text: str) -> None:
        console.print(text, markup=False)  # printed above the live lines; a path's [old] is text, not markup

    def start_run(self, run_name: str, total: int, done: int) -> None:
        self.totals[run_name] = total
        if not self.interactive:
            console.print(f"training {run_name} from iteration {done} of {total}", highlight=False, markup=False)
            return
        if done:  # a bar that starts part-full does not say why: a resumed run is named as one
            console.print(f"resuming {run_name} at iteration {done} of {total}", highlight=False, markup=False)
        if self.progress is None:
            self.progress = RunBoard(console)
            self.progress.start()
        short = _short_name(run_name)
        # the name columns read markup ([bold]): a profile's [x] in the name is escaped to stay text
        self.tasks[run_name] = self.progress.add_task(
            escape(run_name), total=total, completed=done, stats="", brief="", short=escape(short)
        )

    def update_run(self, run_name: str, iteration: int, stats: dict) -> None:
        test = shown_test_error(iteration, stats.get("test_error"), stats.get("test_iteration"))
        text = (
            f"lr {stats['lr']:.3g}  loss {stats['loss']:.3f}  err {stats['error']:.1f}%{test}  "
            f"{stats['images_per_s']:.0f} img/s"
        )
        # one run at a time: the clock follows the run in progress; `run --jobs`: each line names its run
        whole = self.clock and self.clock.line(iteration, stats["images_per_s"], None if self.current else run_name)
        if not self.interactive:  # a log file gets a line at every log point, not minutes of silence
            console.print("\n".join(self._log_lines(run_name, iteration, stats, whole)), highlight=False, markup=False)
            return
        if self.progress is None or run_name not in self.tasks:
            return
        self.progress.whole = whole or self.progress.whole
        brief = f"err {stats['error']:.1f}%{test}  loss {stats['loss']:.3f}  lr {stats['lr']:.3g}  {stats['images_per_s']:.0f} img/s"
        self.progress.update(self.tasks[run_name], completed=iteration, stats=text, brief=brief)

    def _log_lines(self, run_name: str, iteration: int, stats: dict, whole: str | None) -> list[str]:
        """A log point written to a log, within LOG_WIDTH columns: the run's net and seed (its full name opened its
        training), the numbers, a test error only on the line it was measured at (a log keeps the earlier lines),
        and the whole target's time left on a line of its own whenever its text changes."""
        label, total = _short_name(run_name), self.totals.get(run_name)
        head = f"{label} {iteration}/{total}:" if total else f"{label} {iteration}:"
        measured = stats.get("test_iteration")
        fresh = measured is not None and int(measured) == iteration
        test = shown_test_error(iteration, stats.get("test_error"), measured) if fresh else ""
        numbers = (
            f"lr {stats['lr']:.3g} loss {stats['loss']:.3f} err {stats['error']:.1f}%{test} "
            f"{stats['images_per_s']:.0f} img/s"
        )
        # a long name or a 6-digit iteration count: the numbers go under it rather than past the edge
        lines = [f"{head} {numbers}"] if len(head) + 1 + len(numbers) <= LOG_WIDTH else [head, f"  {numbers}"]
        if whole and whole != self.clock_said.get(run_name):
            self.clock_said[run_name] = whole
            lines.append(f"{label}: {whole}")
        return lines

    def advance_run(self, run_name: str, iteration: int) -> None:
        """The bar alone moves; off a terminal nothing is written (a log gets a line per log point)."""
        if self.progress is not None and run_name in self.tasks:
            self.progress.update(self.tasks[run_name], completed=iteration)

    def finish_run(self, run_name: str) -> None:
        task = self.tasks.pop(run_name, None)
        if self.progress is None:
            return
        if self.tasks:  # the bars left are the runs still training; the target lists every run's result at its end
            if task is not None:
                self.progress.remove_task(task)
            return
        self.progress.stop()  # the last run's lines stay on screen
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

    def advance(self, iteration: int) -> None:
        self.board.advance_run(self.run_name, iteration)

    def message(self, text: str) -> None:
        self.board.message(text)

    def say_once(self, text: str) -> None:
        self.board.say_once(text)

    def finish(self) -> None:
        self.board.finish_run(self.run_name)


def _short_name(run_name: str) -> str:
    """A run's net and seed (fashion-mnist/resnet-56-A/cpu/seed1 -> resnet-56-A seed1): what tells packed runs apart."""
    try:
        run_id = RunId.parse(run_name)
    except UserError:  # a name that is not a run folder's: shown whole
        return run_name
    return f"{run_id.label} seed{run_id.seed}"
