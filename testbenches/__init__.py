"""cocotb testbenches and the runner that builds and runs them on Icarus or Verilator."""
