"""The providers' secrets from SSM Parameter Store (dal.parameters): decrypted, kept for `max_age`, and a
parameter that cannot be read is ParameterUnavailable (the Sender's CredentialsMissing)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from invoice_hub.dal import parameters


class FakeSsm:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.calls: list[dict[str, Any]] = []

    def get_parameter(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if kwargs["Name"] not in self.values:
            raise ClientError({"Error": {"Code": "ParameterNotFound", "Message": "?"}}, "GetParameter")
        return {"Parameter": {"Name": kwargs["Name"], "Value": self.values[kwargs["Name"]]}}


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> FakeSsm:
    fake = FakeSsm({"/p/key": "secret-1"})
    monkeypatch.setattr(parameters, "ssm_client", lambda: fake)
    monkeypatch.setattr(parameters, "_kept", {})
    return fake


def test_a_secret_is_read_decrypted_and_kept_for_its_max_age(
    ssm: FakeSsm, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(parameters.time, "monotonic", lambda: now[0])

    assert parameters.secure_string("/p/key", max_age=300) == "secret-1"
    ssm.values["/p/key"] = "secret-2"
    now[0] += 299
    assert parameters.secure_string("/p/key", max_age=300) == "secret-1"  # kept
    now[0] += 2
    assert parameters.secure_string("/p/key", max_age=300) == "secret-2"  # read again

    assert ssm.calls == [{"Name": "/p/key", "WithDecryption": True}] * 2


def test_a_parameter_that_cannot_be_read_is_unavailable(ssm: FakeSsm) -> None:
    with pytest.raises(parameters.ParameterUnavailable):
        parameters.secure_string("/p/missing")
