"""The fuzzing suite's credentials and its account of what it sent.

Every operation is called as a client of its contract calls it: a practice's admin user (bearer token)
for the Invoice API and Healthbridge, its TENANT + API-KEY for Decoda, its ProducerId + ProviderKey for
eBillingHub. The practice is the suite's own, so its invoices meet no other test's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import Practice
from tests.report import tried


@pytest.fixture(scope="session")
def fuzz_practice(new_practice: Callable[..., Practice]) -> Practice:
    return new_practice(admin=True)


@pytest.fixture(scope="session")
def scheme_headers(fuzz_practice: Practice) -> dict[str, dict[str, str]]:
    """The practice's credentials by the document's security scheme names (components.securitySchemes)."""
    return {
        "OAuth2PasswordBearer": fuzz_practice.headers,
        "DecodaTenant": {"TENANT": fuzz_practice.tenant.slug},
        "DecodaApiKey": {"API-KEY": fuzz_practice.api_key},
        "EbhProducerId": {"ProducerId": fuzz_practice.producer_id},
        "EbhProviderKey": {"ProviderKey": fuzz_practice.provider_key},
    }


class Tally:
    """What the fuzzer sent and what came back."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.server_errors = 0
        self.violations = 0

    def sent(self, operation: str, status_code: int) -> None:
        self.requests[operation] += 1
        self.statuses[status_code] += 1
        if status_code >= 500:
            self.server_errors += 1


@pytest.fixture(scope="session")
def tally() -> Iterator[Tally]:
    counts = Tally()
    yield counts
    if counts.requests:
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(counts.statuses.items()))
        tried(
            "fuzzing",
            f"{len(counts.requests)} operations, {sum(counts.requests.values())} requests, "
            f"{counts.server_errors} 5xx, {counts.violations} schema violations ({statuses})",
        )
