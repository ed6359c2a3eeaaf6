"""``ForwardClock``: wall time and items spent in model forwards while active (``with ForwardClock() as clock:``).

Why here and not in the library: only benchmarks need it (the share of time spent outside the networks, the achieved
FLOP rate per stage, the marginal cost of a study in a cohort). It listens to
:data:`CineMALib.infer.FORWARD_LISTENERS`, which ``predict`` tells after every batch (the time includes copying the
outputs to the host, which waits for the device, so it is honest on a GPU too). ``stages`` maps a stage name to
``[seconds, items]``.
"""

from __future__ import annotations

from CineMALib.infer import FORWARD_LISTENERS


class ForwardClock:
    def __init__(self) -> None:
        self.seconds = 0.0
        self.batches = 0
        self.stages: dict[str, list[float]] = {}

    def add(self, stage: str, seconds: float, items: int) -> None:
        self.seconds += seconds
        self.batches += 1
        entry = self.stages.setdefault(stage, [0.0, 0])
        entry[0] += seconds
        entry[1] += items

    def __enter__(self) -> ForwardClock:
        FORWARD_LISTENERS.append(self.add)
        return self

    def __exit__(self, *exc: object) -> None:
        FORWARD_LISTENERS.remove(self.add)
