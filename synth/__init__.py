"""Synthesis, timing and power flows (Yosys, OpenSTA) and their Python driver."""
