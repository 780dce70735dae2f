# iostream layer: sources, public headers, tests and programs.
