"""Interoperability: allied formats in and out (ADS-B, ASTERIX, SAPIENT, CoT, GeoJSON, KML).

Each format lives in its own module; GPL-licensed decoders (pyModeS, asterix-decoder) are
imported only inside the modules that need them, behind the optional extras.
"""
