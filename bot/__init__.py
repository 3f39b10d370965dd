"""Familienlotse: the multilingual assistant that brings families to local offers and human Lotsen."""

import os

# python-telegram-bot 22 moves retry_after and similar fields to timedelta; we handle both, so opt in now
# (set before telegram is imported anywhere; it silences the deprecation warning in every process).
os.environ.setdefault("PTB_TIMEDELTA", "1")

# The semantic heads multiply tiny matrices; OpenBLAS's worker threads would only spin against the encoder's
# own threads on the same cores (understand p99 120 ms -> 20 ms on 2 cores). Set before numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# The encoder's OpenMP threads: one to start with; bot.understanding.openmp adds the second core per message
# while it is idle. Between a message's parallel regions the threads spin briefly (30,000 rounds, about 0.1 ms)
# and then sleep: long spinning against PostgreSQL, a second bot process or a test run on the same 2 cores made
# one message take seconds (measured: 6 ms alone, 1-7 s under a load of 10).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("GOMP_SPINCOUNT", "30000")
