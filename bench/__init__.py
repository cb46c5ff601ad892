"""Benchmarks (speed and memory), run by `make bench` (`python -m bench`), never by the test suite.

See bench/README.md. A bench is a module bench/bench_<name>.py registering one function with
`bench.harness.bench`.
"""
