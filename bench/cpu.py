"""Where this process's CPU goes, by thread: the per-call profile of bench.latency.

Every Linux thread's user+system time is in /proc/self/task/<tid>/stat; Python threads are
named, so the time is grouped by what runs there:

* `event_loop`: the main thread: pipecat's frame processing, the dialogue, SIP and RTP;
* `vad`: the per-call VAD analyzers' executor threads (pipecat runs webrtcvad there);
* `decode_and_tts`: asyncio.to_thread workers: Whisper decodes and the voice's synthesis;
* `native`: threads no Python code started (onnxruntime's and CTranslate2's pools, tcpdump
  readers excluded: they are other processes).

Threads that end between two readings take their time with them: the groups are a floor.
"""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _group(name: str | None) -> str:
    if name is None:
        return "native"
    if name == "MainThread":
        return "event_loop"
    if name.startswith("asyncio_"):
        return "decode_and_tts"
    if name.startswith("ThreadPoolExecutor-"):
        return "vad"
    return "other_python"


def _seconds(tid: str) -> float | None:
    try:
        stat = Path(f"/proc/self/task/{tid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, field 3 (state) is [0]
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


def thread_cpu() -> dict[str, float]:
    """CPU seconds so far of each live thread, summed by group."""
    names = {str(thread.native_id): thread.name for thread in threading.enumerate()}
    groups: dict[str, float] = defaultdict(float)
    for tid in os.listdir("/proc/self/task"):
        seconds = _seconds(tid)
        if seconds is not None:
            groups[_group(names.get(tid))] += seconds
    return dict(groups)


def spent_since(before: dict[str, float]) -> dict[str, float]:
    """CPU seconds by group since `before` (a thread_cpu() reading)."""
    now = thread_cpu()
    return {group: round(now[group] - before.get(group, 0.0), 2) for group in sorted(now)}
