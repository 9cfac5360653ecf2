"""Acoustic sensing: propagation physics, source signatures, audio synthesis, detection
coverage and the calibrated fast mode (physics half), plus the edge node's detector,
classifier and direction finding (node half).

This package file stays a docstring: import the submodules you need."""
