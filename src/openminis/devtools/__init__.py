"""Developer tools: ``minis dev`` (a local simulator for one package folder) and ``minis init``
(a starting point that passes the platform's checks). Only these commands import this package:
nothing here is mounted by ``minis serve``."""
