"""Engine speed: raw ballots to a result, against numpy's read floor and pref-voting.

Run from the repository root (takes several minutes with the peer at full size):

    .venv/bin/python tests/benchmarks/bench_engine.py
    .venv/bin/python tests/benchmarks/bench_engine.py --ballots 100000 --peer-ballots 20000

For every method it prints, in one table from one run:
  encode   raw (n × m) rank table → collapsed profile (``RankedProfile.from_ranks``)
  count    the method on that profile
  total    encode + count ("raw ballots to a result")
  ×floor   count ÷ the time numpy needs to read the raw ballot array once (``raw.sum()``,
           one pass over the int8 table of 1,000,000 × 10 rank values)
  peer     pref-voting on the same raw ballots: its profile built from them + its method,
           each method in a fresh process so nothing is cached between methods
  ×faster  peer ÷ total
and the peak memory (max RSS) of the Red Bench part. Timings are the best of --repeat runs.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ballot_model import raw_ballots

from engine import RankedProfile, tally

# our method, its options, and pref-voting's counterpart (module path, function, kwargs)
METHODS: list[tuple[str, dict[str, object], tuple[str, str, dict[str, object]] | None]] = [
    ("irv", {}, ("pref_voting.voting_methods", "instant_runoff_for_truncated_linear_orders", {})),
    ("schulze", {}, ("pref_voting.voting_methods", "beat_path", {})),
    ("ranked-pairs", {}, ("pref_voting.voting_methods", "ranked_pairs", {})),
    ("borda", {}, ("pref_voting.voting_methods", "borda_for_profile_with_ties", {})),
    ("stv", {"seats": 3}, ("pref_voting.proportional_methods", "stv_scottish", {"num_seats": 3})),
    ("plurality", {}, ("pref_voting.voting_methods", "plurality", {})),
    ("copeland", {}, ("pref_voting.voting_methods", "copeland", {})),
    ("minimax", {}, ("pref_voting.voting_methods", "minimax", {})),
    ("bucklin", {}, ("pref_voting.voting_methods", "bucklin_for_truncated_linear_orders", {})),
]

RAW: np.ndarray | None = None


def best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, value = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - started)
    return min(times), value


def _peer_run(spec: tuple[str, str, dict[str, object]], n: int, queue: mp.Queue) -> None:
    import importlib

    from pref_voting.profiles_with_ties import ProfileWithTies

    module, name, kwargs = spec
    func = getattr(importlib.import_module(module), name)
    assert RAW is not None
    raw = RAW[:n]
    started = time.perf_counter()
    rankings = [{c: int(r) for c, r in enumerate(row) if r >= 0} for row in raw.tolist()]
    profile = ProfileWithTies(rankings, candidates=list(range(raw.shape[1])))
    winners = func(profile, **kwargs)
    queue.put((time.perf_counter() - started, sorted(int(w) for w in winners)))


def peer(spec: tuple[str, str, dict[str, object]], n: int, timeout: float) -> tuple[float, str]:
    ctx = mp.get_context("fork")
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_peer_run, args=(spec, n, queue))
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return float("inf"), f"> {timeout:.0f} s"
    if queue.empty():
        return float("nan"), "failed"
    seconds, winners = queue.get()
    return seconds, ",".join(map(str, winners))


def main() -> int:
    global RAW
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ballots", type=int, default=1_000_000)
    parser.add_argument("--candidates", type=int, default=10)
    parser.add_argument(
        "--peer-ballots",
        type=int,
        default=None,
        help="ballots given to pref-voting (default: the same; when fewer, "
        "its time is scaled up linearly and marked ~)",
    )
    parser.add_argument("--peer-timeout", type=float, default=1200.0)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    n, m = args.ballots, args.candidates
    print(f"generating {n:,} truncated Plackett–Luce ballots over {m} candidates ...", flush=True)
    RAW = raw_ballots(n, m)
    names = [chr(ord("a") + i) for i in range(m)]
    floor, _ = best(lambda: RAW.sum(), max(args.repeat, 5))
    encode, profile = best(lambda: RankedProfile.from_ranks(names, RAW), args.repeat)
    assert isinstance(profile, RankedProfile)
    print(
        f"raw array: {RAW.nbytes / 1e6:.0f} MB ({RAW.dtype}); numpy read floor "
        f"{floor * 1000:.1f} ms; encode {encode * 1000:.0f} ms; "
        f"{len(profile.counts):,} distinct ballots",
        flush=True,
    )
    rows = []
    for method, options, _ in METHODS:
        count, result = best(
            lambda method=method, options=options: tally(method, profile, seed="bench", **options),
            args.repeat,
        )
        rows.append((method, count, result.winners))  # type: ignore[union-attr]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peer_n = args.peer_ballots or n
    header = (
        f"{'method':<13}{'encode ms':>10}{'count ms':>10}{'total ms':>10}{'×floor':>8}"
        f"{'peer s':>10}{'×faster':>9}  winners (ours | peer)"
    )
    print("\n" + header + "\n" + "-" * len(header), flush=True)
    for (method, count, winners), (_, _, spec) in zip(rows, METHODS, strict=True):
        total = encode + count
        peer_s, peer_w, mark = float("nan"), "-", ""
        if spec is not None and not args.no_peer:
            peer_s, peer_w = peer(spec, peer_n, args.peer_timeout)
            if peer_n < n:
                peer_s, mark = peer_s * n / peer_n, "~"
        ours = ",".join(str(names.index(w)) for w in winners)
        faster = peer_s / total if np.isfinite(peer_s) else float("nan")
        print(
            f"{method:<13}{encode * 1000:>10.0f}{count * 1000:>10.1f}{total * 1000:>10.0f}"
            f"{count / floor:>8.1f}{mark + format(peer_s, '.1f'):>10}{faster:>9.0f}  "
            f"{ours} | {peer_w}",
            flush=True,
        )
    print(f"\npeak memory (max RSS) of the Red Bench part: {rss:.0f} MiB")
    if peer_n < n:
        print(f"~ pref-voting ran on {peer_n:,} ballots; its time is scaled by {n / peer_n:g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
