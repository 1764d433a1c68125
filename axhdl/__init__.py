"""axhdl: approximate arithmetic units for DNN accelerators.

Generate Amaranth RTL for approximate multipliers and adders, prove it equal to a bit-exact
golden model, and characterize its error, area, delay, power and energy.

>>> from axhdl import make_unit
>>> unit = make_unit("truncated:width=8,k=6")
>>> int(unit.model(200, 100))
19968
"""

import importlib

__version__ = "0.1.0"

# Imported on first use: simulator processes import axhdl.testbenches.tb_unit, which must not
# pay for Amaranth and the registry.
_LAZY = {
    "AxhdlError": "errors",
    "CheckFailedError": "errors",
    "SpecError": "errors",
    "ToolMissingError": "errors",
    "families": "registry",
    "make_unit": "registry",
    "parse_spec": "registry",
    "register": "registry",
    "AmaranthUnit": "unit",
    "ArithmeticUnit": "unit",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'axhdl' has no attribute {name!r}")
