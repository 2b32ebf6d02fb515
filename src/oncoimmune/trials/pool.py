"""Worker processes of a trial (screening and shards): started at once, stopping when the driver dies."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

__all__: list[str] = []


def _die_with_parent(parent_pid: int) -> None:
    """Pool-worker initializer: stop this worker when the driver dies (no orphans writing shard files).

    On Linux the kernel sends SIGKILL when the parent dies (``prctl(PR_SET_PDEATHSIG)``); everywhere a
    daemon thread also checks twice a second that the parent is still ``parent_pid`` and exits if not.
    """
    import signal
    import threading

    if os.name == "posix":
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):  # pragma: no cover - not Linux
            pass
    if os.getppid() != parent_pid:  # the parent died before the watch was set
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="oncoimmune-parent-watch", daemon=True).start()


def _noop() -> int:
    return os.getpid()


def _pool(workers: int) -> Any:
    """A process pool, its workers started now (before any progress-bar thread exists).

    ``fork`` where the platform has it and this process runs no other thread
    (no re-import of the caller's main module, so a plain script may call
    :func:`run_trial` with workers); otherwise ``spawn`` (forking a process
    with threads, e.g. after JAX is imported, can deadlock; a script then
    needs the ``if __name__ == "__main__":`` guard). Workers receive plain
    data only (the spec's TOML text, indices) and write their shard files
    themselves. Workers stop when the driver dies (:func:`_die_with_parent`).
    """
    import concurrent.futures as cf
    import multiprocessing as mp
    import threading

    # JAX's threads are native (threading does not count them) and it warns that a fork may deadlock
    fork_ok = (
        "fork" in mp.get_all_start_methods() and threading.active_count() == 1 and "jax" not in sys.modules
    )
    method = "fork" if fork_ok else "spawn"
    pool = cf.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=mp.get_context(method),
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    )
    for f in [pool.submit(_noop) for _ in range(workers)]:
        f.result()
    return pool
