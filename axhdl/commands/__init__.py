"""One module per ``axhdl`` subcommand: ``register(sub, name)`` adds the parser and returns it,
``run(args)`` does the work and returns the exit status."""
