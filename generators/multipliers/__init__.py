"""Multiplier families; every public module here registers one or more families."""
