"""The engines the benchmark compares, each loaded with the same data and queried the same way."""
