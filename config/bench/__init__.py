"""Benchmarks (batch, reads, export, load, HTTP), their commands and ``seed_demo``: may import anything;
nothing imports them."""
