"""Benchmarks against peer libraries, run by ``dronewall bench ...``.

``tracker``: dronewall's tracker against Stone Soup's tutorial-standard GNN tracker on the
same generated detections (Stone Soup is the ``bench`` extra, never a runtime need).
"""
