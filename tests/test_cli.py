"""The fastloss command line: info, bench, and its errors."""

import importlib.util
import json
import subprocess
import sys

import pytest

from fastloss import benchmark
from fastloss.losses import LOSSES


def test_every_registered_loss_has_its_workloads():
    plan = benchmark.plan("full", sizes=(100,))
    for cls in LOSSES.values():
        for suffix in ("loss_gradient", "loss_gradient_out"):
            name = f"{cls.__name__}.{suffix}"
            assert benchmark.WORKLOADS[name].kind == "loss_gradient"
            assert name in {c.workload for c in plan}


def fastloss_cli(*args, timeout=600):
    return subprocess.run(
        [sys.executable, "-m", "fastloss", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_info():
    result = fastloss_cli("info")
    assert result.returncode == 0, result.stderr
    assert "numba" in result.stdout and "backend numba" in result.stdout


def test_bench_quick_tiny_sizes_writes_documented_json(tmp_path):
    path = tmp_path / "bench.json"
    result = fastloss_cli("bench", "--quick", "--sizes", "100,1000", "--budget", "0.02",
                          "--json", str(path))
    assert result.returncode == 0, result.stderr
    table = result.stdout
    # The quick set: the metrics and the losses declaring bench_quick (fresh-output variant).
    quick = {c.workload for c in benchmark.plan("quick", sizes=(100,))}
    metrics = {name for name, w in benchmark.WORKLOADS.items() if w.kind == "metric"}
    assert quick == metrics | {f"{cls.__name__}.loss_gradient" for cls in LOSSES.values()
                               if cls.bench_quick}  # fmt: skip
    assert len(quick) > len(metrics)
    for name in quick:
        assert name in table
    for name in set(benchmark.WORKLOADS) - quick:
        assert name not in table
    report = json.loads(path.read_text())
    assert report["schema"] == benchmark.SCHEMA
    for key in ("cores", "cpu", "numpy", "numba", "sklearn", "fastloss", "threads", "backend"):
        assert key in report["machine"]
    expected = benchmark.plan("quick", ("float64",), sizes=(100, 1000))
    assert len(report["results"]) == len(expected)
    for entry, case in zip(report["results"], expected):
        assert (entry["workload"], entry["n"], entry["k"], entry["dtype"]) == (
            case.workload, case.n, case.k, case.dtype,
        )
        seconds = entry["seconds"]
        assert set(seconds) == set(benchmark.PEERS)
        for peer in ("fastloss", "fastloss_numpy", "sklearn", "numpy", "floor"):
            assert seconds[peer] > 0
        for peer, ratio in entry["speedup"].items():
            if seconds[peer] is None:
                assert ratio is None
            else:
                assert ratio == pytest.approx(seconds[peer] / seconds["fastloss"])
        assert entry["floor_fraction"] == pytest.approx(seconds["floor"] / seconds["fastloss"])
        assert entry["peak_extra_bytes"] >= 0


def test_bench_numpy_backend_and_float32():
    result = fastloss_cli("bench", "--sizes", "100", "--budget", "0.01", "--backend", "numpy",
                          "--dtype", "float32", "--workload", "mean_squared_error")
    assert result.returncode == 0, result.stderr
    assert "backend numpy" in result.stdout
    assert "float32" in result.stdout and "fastloss_numpy" not in result.stdout


def test_bench_plot(tmp_path):
    path = tmp_path / "bench.png"
    result = fastloss_cli("bench", "--sizes", "100,1000", "--budget", "0.01",
                          "--workload", "mean_absolute_error", "--plot", str(path))
    if importlib.util.find_spec("matplotlib") is None:
        assert result.returncode != 0
        assert "--plot needs matplotlib" in result.stderr
    else:
        assert result.returncode == 0, result.stderr
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "args,message",
    [
        (["--threads", "0"], "--threads must be between 1 and"),
        (["--threads", "999"], "--threads must be between 1 and"),
        (["--sizes", "ten"], "expected comma-separated integers"),
        (["--sizes", "0"], "expected positive integers"),
        (["--dtype", "float16"], "invalid choice"),
        (["--workload", "hinge"], "invalid choice"),
        (["--backend", "cuda"], "invalid choice"),
        (["--quick", "--full"], "not allowed with argument"),
        (["--no-such-flag"], "unrecognized arguments"),
        (["--full", "--training-scale", "-1"], "--training-scale must be between 0 and 1"),
        (["--training-scale", "many"], "invalid float value"),
    ],
)
def test_bench_bad_flags_exit_nonzero_with_message(args, message):
    result = fastloss_cli("bench", *args, timeout=120)
    assert result.returncode == 2
    assert message in result.stderr


def test_bench_full_includes_the_training_comparison(tmp_path):
    path = tmp_path / "full.json"
    result = fastloss_cli("bench", "--full", "--workload", "mean_squared_error", "--sizes", "100",
                          "--dtype", "float64", "--budget", "0.01", "--training-scale", "0.002",
                          "--json", str(path), timeout=600)
    assert result.returncode == 0, result.stderr
    assert "training: fastloss.linear_model against scikit-learn" in result.stdout
    report = json.loads(path.read_text())
    assert report["settings"]["training_scale"] == 0.002
    problems = [row["problem"] for row in report["training"]]
    assert problems == ["binary 2,000 x 100", "10 classes 2,000 x 100", "regression 2,000 x 100",
                        "sparse binary 2,000 x 1,000 CSR"]  # fmt: skip
    for row in report["training"][:3]:
        assert row["fastloss_s"] > 0 and row["sklearn_sgd_s"] > 0 and row["epochs"] >= 1
        assert row["speedup"] == pytest.approx(row["sklearn_sgd_s"] / row["fastloss_s"])
        assert row["quality_ok"]  # at this size too, within the tolerance of the exact solver
    assert report["training"][3]["fastloss_s"] > 0 and report["training"][3]["epochs"] >= 1
    without = fastloss_cli("bench", "--full", "--workload", "mean_squared_error", "--sizes", "100",
                           "--dtype", "float64", "--budget", "0.01", "--training-scale", "0")
    assert without.returncode == 0 and "training:" not in without.stdout


def test_plot_without_matplotlib_says_how_to_get_it():
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from fastloss import benchmark\n"
        "try:\n"
        "    benchmark.plot([], 'x.png')\n"
        "except RuntimeError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "--plot needs matplotlib: python -m pip install matplotlib" in result.stdout


def test_torch_is_timed_apart_from_the_other_peers(monkeypatch):
    """torch's spinning OpenMP threads slowed the peer sampled after it, so
    run() samples torch on its own, after the interleaved others."""
    import dataclasses

    from fastloss import benchmark as B

    sampled = []

    def record(funcs, budget=1.0, max_rounds=15):
        sampled.append(sorted(funcs))
        return dict.fromkeys(funcs, 1e-3)

    workload = B.WORKLOADS["mean_squared_error"]

    def with_torch(data, threads):
        peers = workload.callables(data, threads)
        peers["torch"] = lambda: None  # stands in for torch, not installed here
        return peers

    monkeypatch.setattr(B, "time_interleaved", record)
    monkeypatch.setitem(
        B.WORKLOADS, workload.name, dataclasses.replace(workload, callables=with_torch)
    )
    (case,) = B.run(B.plan("quick", workloads=[workload.name], sizes=[100]), budget=0.01)
    assert sampled == [sorted(set(B.PEERS) - {"torch"}), ["torch"]]
    assert set(case.times) == set(B.PEERS)
