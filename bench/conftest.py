"""pytest-benchmark suite: every workload x size x dtype, peers in one group.

Run:      python -m pytest bench/ --benchmark-only
Smoke:    FASTLOSS_BENCH_SIZES=100 python -m pytest bench/ --benchmark-disable
Sizes:    FASTLOSS_BENCH_SIZES=100,10000 (elements, or rows of logits)
Classes:  FASTLOSS_BENCH_CLASSES=2,10,100
"""
