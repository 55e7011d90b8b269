"""Whether a run folder's lock can hold across the nodes of a cluster, read from the filesystem it is on.

Runs on several nodes share one results folder. flock(2) is node-local on most network filesystems, but their
POSIX byte-range locks (fcntl/lockf) reach every node: NFSv3 through lockd, NFSv4 in the protocol, Lustre
mounted with `-o flock`, GPFS, CephFS and GlusterFS always. A folder on such a mount is locked with lockf; a
local disk keeps flock (a lock per open file, which also refuses a second lock from the same process); a network
mount whose locks stay on one node is named in a warning, since two nodes could then train one run. No torch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

LOCAL = "local"  # a disk of this machine: flock
SHARED = "shared"  # a network filesystem whose byte-range locks hold on every node: lockf
NODE_ONLY = "node-only"  # a network filesystem whose locks hold on this node only: flock, and a warning

_ALWAYS_SHARED = {"gpfs", "ceph", "cephfs", "fuse.ceph", "fuse.ceph-fuse", "glusterfs", "fuse.glusterfs"}
_NODE_ONLY = {  # network filesystems without locks that reach other clients (or not by default), and what to do
    "beegfs": "BeeGFS shares locks only with tuneUseGlobalFileLocks=true in beegfs-client.conf",
    "cifs": "SMB mounts do not share POSIX locks between clients",
    "smb3": "SMB mounts do not share POSIX locks between clients",
    "fuse.sshfs": "sshfs has no locks shared between clients",
}


@dataclass(frozen=True)
class Mount:
    point: str
    fstype: str
    options: tuple[str, ...]


def read_mounts(path: str = "/proc/self/mounts") -> list[Mount]:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return []
    mounts = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 4:  # octal escapes (\040 for a space) as the kernel writes them
            point = fields[1].encode().decode("unicode_escape")
            mounts.append(Mount(point, fields[2], tuple(fields[3].split(","))))
    return mounts


def mount_of(folder: Path, mounts: list[Mount]) -> Mount | None:
    """The mount `folder` is on: the longest mount point above its real path (the last mounted of equals)."""
    real = os.path.realpath(folder)
    above = [mount for mount in mounts if real == mount.point or real.startswith(mount.point.rstrip("/") + "/")]
    return max(reversed(above), key=lambda mount: len(mount.point), default=None)  # max keeps the first of equals


def lock_scope(folder: Path, mounts: list[Mount] | None = None) -> tuple[str, str | None]:
    """(LOCAL, SHARED or NODE_ONLY, why the lock holds on this node only, or None)."""
    mount = mount_of(folder, read_mounts() if mounts is None else mounts)
    if mount is None:
        return LOCAL, None
    kind, options = mount.fstype, set(mount.options)
    where = f"{mount.point} ({kind})"
    if kind in ("nfs", "nfs4"):
        local = next((o for o in sorted(options) if o in ("nolock", "local_lock=all", "local_lock=flock")), None)
        if local:
            return NODE_ONLY, f"{where} is mounted with {local}: remount without it (NFSv3 needs lockd running)"
        return SHARED, None
    if kind == "lustre":
        if "flock" in options:
            return SHARED, None
        setting = "localflock" if "localflock" in options else "no flock option"
        return NODE_ONLY, f"{where} is mounted with {setting}: remount it with -o flock"
    if kind in _ALWAYS_SHARED:
        return SHARED, None
    if kind in _NODE_ONLY:
        return NODE_ONLY, f"{where}: {_NODE_ONLY[kind]}"
    return LOCAL, None
