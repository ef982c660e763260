"""Domain errors. Logic raises them; each contract facade in `api/` turns them into its own error body."""


class InvoiceHubError(Exception):
    """Base of every error the service raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(InvoiceHubError):
    """The resource does not exist for the caller's tenant (another tenant's resource included)."""


class InvoiceNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Invoice not found")


class IllegalTransition(InvoiceHubError):
    """A status change, or a change in a status, that the invoice's life cycle does not allow."""


class BusinessRuleViolation(InvoiceHubError):
    """Input that is well-formed but breaks a rule of the domain (answered as a validation error)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class VersionConflict(InvoiceHubError):
    """The resource changed between read and write (optimistic concurrency)."""


class PreconditionFailed(InvoiceHubError):
    """The client's If-Match names a version that is no longer current."""


class IdempotencyKeyReused(InvoiceHubError):
    """The Idempotency-Key was already used with a different request body."""

    def __init__(self) -> None:
        super().__init__("Idempotency-Key was already used with a different request body")


class Unauthenticated(InvoiceHubError):
    """Missing, malformed, expired or otherwise invalid credentials."""


class Forbidden(InvoiceHubError):
    """Valid credentials without the role the operation needs."""


class InvalidCredentials(InvoiceHubError):
    """A username and password pair that does not sign in."""


class ServiceBusy(InvoiceHubError):
    """The store kept refusing the write under contention or throttling; the client may retry."""

    def __init__(self, message: str = "The service is busy; retry shortly", retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after
