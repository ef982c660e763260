"""The contracts at the edge: each one's models, facade and error bodies (and what they share).

Before any of them imports Powertools' event handler, its package is made to import without the other
resolvers of its `__init__` (docs/decisions/023-one-resolver-imported.md).
"""

from invoice_hub.contracts.lazy_event_handler import install

install()
