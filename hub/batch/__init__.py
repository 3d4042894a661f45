"""The batch driver of the engine: `hub resolve` over department exports, in-process.

`driver` reads the exports, runs the engine and writes the outputs; `rows` (the loop feeding rows
to the engine) and `output` (the loops writing the output lines) run once per row of the city and
are compiled with the engine (`[tool.hub.native]` in pyproject.toml).
"""

from hub.runtime.compiled import extend_package_path

extend_package_path(__path__, "hub/batch")  # the mypyc build of these modules, when it matches them
