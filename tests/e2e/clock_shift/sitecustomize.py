"""Put on a service's PYTHONPATH by tests/e2e/test_server_clock_jumps.py: the process's wall clock
(time.time) reads the real one plus the seconds written in the file LEDGER_TEST_CLOCK_OFFSET_FILE names,
followed every 50 ms, so a test moves the clock of a running API or worker forward and back.
time.monotonic and the chain's clock are left alone: only the host's wall clock jumps."""

import os
import threading
import time

_path = os.environ.get("LEDGER_TEST_CLOCK_OFFSET_FILE")

if _path:
    _real_time, _real_sleep = time.time, time.sleep
    _offset = [0.0]

    def _follow() -> None:
        while True:
            try:
                with open(_path) as file:
                    _offset[0] = float(file.read().strip() or 0)
            except (OSError, ValueError):
                pass  # half-written: the next read has it
            _real_sleep(0.05)

    def _start() -> None:
        threading.Thread(target=_follow, name="clock-shift", daemon=True).start()

    time.time = lambda: _real_time() + _offset[0]
    os.register_at_fork(after_in_child=_start)  # uvicorn and Celery fork: a thread does not survive it
    _start()
