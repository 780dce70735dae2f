# tools layer: sources, public headers, tests and programs.
