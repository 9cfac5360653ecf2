"""Metrics against ground truth: GOSPA over time, incursion detection and timing.

Only ``eval`` compares with the truth that ``sim`` produces; no deployed stage does.
"""
