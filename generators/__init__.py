"""Amaranth generators of axhdl: multipliers, adders, MAC/PE arrays."""
