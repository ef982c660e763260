"""The domain's base model: frozen, and its validator and serializer built on its first use rather than when
its module is imported, as the contracts' `WireModel` is. A function imports the whole domain through its
use cases and storage but handles a few of its types (a rule list never builds an invoice), so a cold
start builds only those: importing the domain took 46 ms of CPU with every model built, 16 without
(docs/performance.md, issue 15)."""

from pydantic import BaseModel, ConfigDict


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)
