"""MAC/PE and systolic-array families built from any multiplier and adder unit.

Layered as Gemmini's ``PE.scala`` / ``Mesh.scala``: the multiplier and the adder are
constructor arguments of the processing element (:mod:`._pe`), the processing element of the
array (:mod:`._mesh`); the pipeline registers live in the processing elements, the skew and
deskew registers and the stream handshake in the array. The golden models (:mod:`._model`) are
numpy only and built from the sub-units' own models. The interfaces are documented in
``docs/arrays.md``.
"""
