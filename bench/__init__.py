"""Benchmarks (`make bench`): each prints our figure beside a baseline measured in the same run."""
