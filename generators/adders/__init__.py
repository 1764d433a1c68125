"""Adder families; every public module here registers one family.

An adder adds two ``width``-bit operands into a ``width + 1``-bit result (the
:class:`~axhdl.operations.Addition` operation); :mod:`._model` holds the numpy arithmetic the
golden models share, :mod:`._rtl` the Amaranth circuits (imported only inside ``rtl``).
"""
