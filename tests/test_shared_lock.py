"""The run lock on a shared results folder: which lock each filesystem gets (from the mount table), the warning where
it cannot hold across nodes, and a POSIX lock that refuses a second process as flock does."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from resnet_repro.store.mounts import LOCAL, NODE_ONLY, SHARED, lock_scope, read_mounts

from .conftest import REPO

MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
server:/export /shared nfs4 rw,vers=4.2,hard 0 0
server:/old /old nfs rw,vers=3,nolock 0 0
server:/v4local /v4local nfs4 rw,local_lock=all 0 0
mgs@tcp:/lustre /lustre lustre rw,flock 0 0
mgs@tcp:/scratch /scratch lustre rw,localflock 0 0
gpfs0 /gpfs gpfs rw 0 0
beegfs_nodev /beegfs beegfs rw,cfgFile=/etc/beegfs/beegfs-client.conf 0 0
/dev/sdb1 /shared/local\\040disk ext4 rw 0 0
"""


@pytest.fixture
def mounts(tmp_path) -> list:
    table = tmp_path / "mounts"
    table.write_text(MOUNTS)
    return read_mounts(str(table))


@pytest.mark.parametrize(
    "folder, scope, why",
    [
        ("/home/me/results/runs/x", LOCAL, None),
        ("/shared/me/results/runs/x", SHARED, None),
        ("/shared/local disk/results", LOCAL, None),  # a disk mounted inside the share: its own mount decides
        (
            "/old/results",
            NODE_ONLY,
            "/old (nfs) is mounted with nolock: remount without it (NFSv3 needs lockd running)",
        ),
        ("/v4local/results", NODE_ONLY, "/v4local (nfs4) is mounted with local_lock=all: remount without it"),
        ("/lustre/results", SHARED, None),
        ("/scratch/results", NODE_ONLY, "/scratch (lustre) is mounted with localflock: remount it with -o flock"),
        ("/gpfs/results", SHARED, None),
        ("/beegfs/results", NODE_ONLY, "/beegfs (beegfs): BeeGFS shares locks only with tuneUseGlobalFileLocks=true"),
    ],
)
def test_each_filesystem_gets_the_lock_that_holds_across_its_nodes(mounts, folder, scope, why):
    found, said = lock_scope(Path(folder), mounts)
    assert found == scope
    if why is None:
        assert said is None
    else:
        assert said.startswith(why), said


HOLD_SHARED_LOCK = """
import sys, time
from pathlib import Path
import resnet_repro.store.lock as lock
lock.lock_scope = lambda folder: (lock.SHARED, None)  # as on NFS: a POSIX lock, seen by every node
with lock.run_lock(Path(sys.argv[1]), "x"):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_shared_folders_posix_lock_refuses_a_second_process(tmp_path, monkeypatch):
    import resnet_repro.store.lock as lock

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_SHARED_LOCK, str(tmp_path)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        inode = (tmp_path / ".lock").stat().st_ino
        held = [line.split() for line in Path("/proc/locks").read_text().splitlines()]
        assert any(f[1] == "POSIX" and f[4] == str(holder.pid) and f[5].endswith(f":{inode}") for f in held), held
        monkeypatch.setattr(lock, "lock_scope", lambda folder: (SHARED, None))
        with pytest.raises(Exception) as refused:
            with lock.run_lock(tmp_path, "x"):
                pass
        assert str(refused.value).startswith(f"run x is being trained right now by pid {holder.pid}; wait")
    finally:
        holder.kill()
        holder.wait()
    with lock.run_lock(tmp_path, "x"):  # the holder's lock died with it
        pass


def test_a_folder_whose_lock_stays_on_one_node_is_a_warning(tmp_path, monkeypatch):
    import resnet_repro.store.lock as lock

    said = []
    monkeypatch.setattr(lock, "lock_scope", lambda folder: (NODE_ONLY, "/old (nfs) is mounted with nolock: remount"))
    with lock.run_lock(tmp_path, "cifar10/plain-20/smoke/seed0", said.append):
        pass
    assert said == [
        "warning: the lock on run cifar10/plain-20/smoke/seed0 holds on this node only, /old (nfs) is mounted with "
        "nolock: remount; never train one run on two nodes"
    ]


HOLD_STEP_LOCK = """
import sys
from pathlib import Path
import resnet_repro.store.lock as lock
if sys.argv[2] == "shared":
    lock.lock_scope = lambda folder: (lock.SHARED, None)
path = Path(sys.argv[1])
with lock.step_lock(path, print):
    print("held", flush=True)
    sys.stdin.readline()
    path.unlink()  # as a refused Slurm submission takes back the folders and the lock file it made
"""


@pytest.mark.parametrize("scope", [LOCAL, SHARED])
def test_a_step_lock_waits_and_then_holds_the_file_at_its_path(tmp_path, monkeypatch, scope):
    """A second `run --slurm` waits on the first's step lock; when the first removes the lock file as it leaves, the
    second must hold the file at the path, where a third process looks, not the removed one."""
    import threading

    import resnet_repro.store.lock as lock

    path = tmp_path / "slurm" / "submit.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_STEP_LOCK, str(path), scope],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    monkeypatch.setattr(lock, "lock_scope", lambda folder: (scope, None))
    said, inside = [], []

    def second():
        with lock.step_lock(path, lambda: said.append("waiting")):
            inside.append(path.exists())  # the lock file a third process opens: the one it holds

    try:
        assert holder.stdout.readline().strip() == "held"
        waiter = threading.Thread(target=second)
        waiter.start()
        deadline = time.time() + 30
        while not said and time.time() < deadline:
            time.sleep(0.05)
        assert said == ["waiting"] and not inside  # told, and waiting
        holder.communicate("go\n", timeout=30)
        waiter.join(timeout=30)
    finally:
        holder.kill()
        holder.wait()
    assert inside == [True]
