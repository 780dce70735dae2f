# resolver layer: sources, public headers, tests and programs.
