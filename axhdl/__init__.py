"""axhdl: approximate arithmetic units for DNN accelerators.

Generate Amaranth RTL for approximate multipliers and adders, prove it equal to a bit-exact
golden model, and characterize its error, area, delay, power and energy.

>>> from axhdl import make_unit
>>> unit = make_unit("truncated:width=8,k=6")
>>> int(unit.model(200, 100))
19968
"""

from .errors import AxhdlError, CheckFailedError, SpecError, ToolMissingError
from .registry import families, make_unit, parse_spec, register
from .unit import AmaranthUnit, ArithmeticUnit

__version__ = "0.1.0"

__all__ = [
    "AxhdlError",
    "AmaranthUnit",
    "ArithmeticUnit",
    "CheckFailedError",
    "SpecError",
    "ToolMissingError",
    "families",
    "make_unit",
    "parse_spec",
    "register",
]
