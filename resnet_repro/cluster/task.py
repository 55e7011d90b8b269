"""What a Slurm job runs: one `resnet-repro` command line in a child process, under submitit.

submitit pickles a `JobCommand` at submission and calls it in every task of the job. The command trains in a
child process so that the job's own process stays free to take Slurm's warning before the time limit (USR2,
`--signal=USR2@N`): submitit calls `checkpoint`, which asks the child to stop as Ctrl-C does (SIGTERM: finish
the iteration, write a checkpoint), and hands submitit the same command to requeue. The requeued job runs the
command again and the run resumes from its checkpoint, exactly (train/runner.py). The child ignores USR2
itself: Slurm signals every process of the job, and the child's default action would be to die unsaved.

A job of several tasks is one DDP run: each task's child gets torch.distributed's variables (RANK, WORLD_SIZE,
MASTER_ADDR, ...) from Slurm's environment, as torchrun would set them. No torch here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

POLL_S = 0.5


class JobCommand:
    """A command line a Slurm job runs (and runs again when requeued)."""

    _child: subprocess.Popen | None = None  # the command's process, once started; unpickled, none yet

    def __init__(self, argv: list[str], umask: int = 0o022):
        self.argv = list(argv)
        self.umask = umask  # the user's own: the job itself runs under 077 (its files are submitit's pickles)

    def __getstate__(self) -> dict:  # what submitit pickles: the command, never a running child
        return {"argv": self.argv, "umask": self.umask}

    def _in_child(self) -> None:
        """Between fork and exec: the run's files get the user's umask, and USR2 is ignored (that stays so)."""
        os.umask(self.umask)
        signal.signal(signal.SIGUSR2, signal.SIG_IGN)

    def __call__(self) -> None:
        env = {**os.environ, **distributed_environment()}
        self._child = subprocess.Popen(self.argv, env=env, preexec_fn=self._in_child)
        # poll, not wait(): submitit's signal handler runs on this thread, between two polls, and waits for the
        # child itself (Popen.wait would hold a lock the handler then needs)
        while self._child.poll() is None:
            time.sleep(POLL_S)
        if self._child.returncode:
            raise RuntimeError(f"`{' '.join(self.argv[2:])}` exited with code {self._child.returncode}")

    def checkpoint(self, *args, **kwargs):
        """Slurm's warning before the time limit (or a preemption): the child checkpoints and stops, and the same
        command is requeued."""
        from submitit.helpers import DelayedSubmission

        child = self._child
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)
            while child.poll() is None:
                time.sleep(POLL_S)
        return DelayedSubmission(JobCommand(self.argv, self.umask))


def distributed_environment() -> dict[str, str]:
    """torch.distributed's env:// variables for a job of several tasks; nothing for a job of one."""
    if int(os.environ.get("SLURM_NTASKS", "1")) <= 1:
        return {}
    from submitit.helpers import TorchDistributedEnvironment

    world = TorchDistributedEnvironment()  # from SLURM_PROCID, SLURM_NTASKS, the job's node list and its id
    return {
        "MASTER_ADDR": world.master_addr,
        "MASTER_PORT": str(world.master_port),
        "RANK": str(world.rank),
        "WORLD_SIZE": str(world.world_size),
        "LOCAL_RANK": str(world.local_rank),
        "LOCAL_WORLD_SIZE": str(world.local_world_size),
    }
