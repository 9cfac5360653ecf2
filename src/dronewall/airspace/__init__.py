"""airspace"""
