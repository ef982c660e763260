"""The fuzzing suite's credentials and its account of what it sent.

Every operation is called as a client of its contract calls it: a practice's admin user (bearer token)
for the Invoice API and Healthbridge, its TENANT + API-KEY for Decoda, its ProducerId + ProviderKey for
eBillingHub. Each test's practice is its own (seeded with an invoice of each contract), so its
invoices meet no other test's; a second practice of the suite's own is the peer that must not see the
first one's objects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Generator, Iterator

import pytest
from schemathesis.pytest.plugin import SchemathesisCase

from tests.conftest import Practice, untraced
from tests.report import tried


def credentials_by_scheme(practice: Practice) -> dict[str, dict[str, str]]:
    """The practice's credentials by the document's security scheme names (components.securitySchemes)."""
    return {
        "OAuth2PasswordBearer": practice.headers,
        "DecodaTenant": {"TENANT": practice.tenant.slug},
        "DecodaApiKey": {"API-KEY": practice.api_key},
        "EbhProducerId": {"ProducerId": practice.producer_id},
        "EbhProviderKey": {"ProviderKey": practice.provider_key},
    }


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, object, object]:
    """schemathesis builds each operation's coverage cases (its boundary and negative requests) while it
    collects, in every pytest-xdist worker: that is its own code alone, so it runs untraced (about 10 s of
    CPU per worker untraced), as the suite's tests do (`untraced_caller`)."""
    if not isinstance(collector, SchemathesisCase):
        return (yield)
    with untraced():
        return (yield)


@pytest.fixture(scope="session")
def fuzz_peer(new_practice: Callable[..., Practice]) -> Practice:
    return new_practice(admin=True)


@pytest.fixture(scope="session")
def peer_scheme_headers(fuzz_peer: Practice) -> dict[str, dict[str, str]]:
    return credentials_by_scheme(fuzz_peer)


class Tally:
    """What the fuzzer sent, what came back, and what each check made of it."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.server_errors = 0
        self.violations = 0
        #: responses each check judged (it ran and did not skip them), and those it failed
        self.checked: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.excluded: tuple[str, ...] = ()
        #: requests object_level_authorization sent as the peer practice (replays of the practice's reads)
        self.peer_requests = 0

    def sent(self, operation: str, status_code: int) -> None:
        self.requests[operation] += 1
        self.statuses[status_code] += 1
        if status_code >= 500:
            self.server_errors += 1

    def judged(self, check: str, passed: bool) -> None:
        self.checked[check] += 1
        if not passed:
            self.failed[check] += 1

    def checks_line(self) -> str:
        judged = ", ".join(
            f"{name} {self.checked[name] - self.failed[name]}/{self.checked[name]}"
            for name in sorted(self.checked)
        )
        excluded = ", ".join(sorted(self.excluded)) or "none"
        return (
            f"{len(self.checked)} checks (passed/judged): {judged}; excluded: {excluded}; "
            f"{self.peer_requests} read{'' if self.peer_requests == 1 else 's'} replayed as another practice"
        )


@pytest.fixture(scope="session")
def tally() -> Iterator[Tally]:
    counts = Tally()
    yield counts
    if counts.requests:
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(counts.statuses.items()))
        tried(
            "fuzzing",
            f"{len(counts.requests)} operations, {sum(counts.requests.values())} requests, "
            f"{counts.server_errors} 5xx, {counts.violations} violations of a check ({statuses})",
        )
        tried("fuzzing", counts.checks_line())
