"""A rich progress bar for training (iteration, lr, loss, error, img/s, ETA); quiet when not a terminal."""

from __future__ import annotations

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ..train.loop import Reporter
from .common import console


class RichReporter(Reporter):
    def __init__(self):
        self.interactive = console.is_terminal
        self.progress = None
        self.task = None
        self.name = ""

    def start(self, run_name: str, total: int, done: int) -> None:
        self.name = run_name
        if not self.interactive:
            console.print(f"training {run_name} from iteration {done} of {total}")
            return
        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[stats]}"), TimeRemainingColumn(), console=console)
        self.progress.start()
        self.task = self.progress.add_task(run_name, total=total, completed=done, stats="")

    def update(self, iteration: int, stats: dict) -> None:
        if self.progress is None:
            return
        test = f" test {stats['test_error']:.2f}%" if stats.get("test_error") is not None else ""
        text = (f"lr {stats['lr']:.3g}  loss {stats['loss']:.3f}  err {stats['error']:.1f}%{test}  "
                f"{stats['images_per_s']:.0f} img/s")
        self.progress.update(self.task, completed=iteration, stats=text)

    def message(self, text: str) -> None:
        console.print(text)

    def finish(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
