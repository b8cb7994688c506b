"""llmcensus: an open observatory of internet-exposed LLM servers.

Stages, in the only direction data flows (each is a subpackage; a stage never imports a later one):

    targets -> probe -> observations -> enrich -> store -> analyze -> report

plus ``simulate`` (the world we probe), ``discover`` (where targets come from), ``reference``
(bundled reference data every stage may read) and ``cli`` (the only module that imports every stage).
"""

__version__ = "0.1.0"
