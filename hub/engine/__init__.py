"""The resolution engine: department records → mentions → links → clusters → master records.

One engine, two drivers: `hub resolve` runs it in-process over files, the faust processors run it
over the department topics. Both call the same functions, so on the same input they agree.
"""

from hub.runtime.compiled import extend_package_path

extend_package_path(__path__, "hub/engine")  # the mypyc build of these modules, when it matches them
