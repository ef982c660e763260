"""Healthbridge wire formats (seeds 000 and 001): the renderer against the contract's own samples,
content negotiation, nulls, escaping and .NET's generic contract names. No network."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from invoice_hub.contracts.healthbridge.format import (
    BILLING_NS,
    COMMON_NS,
    RESULT_OF_GUID,
    RESULT_OF_STATUS_LIST,
    SERIALIZATION_NS,
    Negotiated,
    NotAcceptable,
    WireFormat,
    generic_contract_name,
    namespaces_digest,
    negotiate,
    render,
    render_json,
    render_xml,
    xml_time,
)
from invoice_hub.contracts.healthbridge.models import InvoiceSendingStatusVo, RestApiLink, RestApiResult
from invoice_hub.domain.errors import InvoiceHubError

# The samples, verbatim from the contract's help pages (seed 000: GET api/v1/billing/invoices/failed,
# seed 001: POST api/v1/billing/invoices/retryallfailed). Copied so the tests do not depend on shared/.
FAILED_JSON = """[
{
"PracticeId": "26d78023-25ff-4db9-976b-64e352e6bf0b",
"EncounterId": "6f8caf1e-9cec-4512-96b8-aa79cae19152",
"InvoiceId": "875b72c7-6e02-4a20-89c8-e5a7c8f3a286",
"Reason": "sample string 4",
"Status": "sample string 5",
"System": "sample string 6",
"SendingTime": "2026-05-20T20:09:49Z",
"SendingAttempts": 8,
"SendingType": "sample string 9"
},
{
"PracticeId": "26d78023-25ff-4db9-976b-64e352e6bf0b",
"EncounterId": "6f8caf1e-9cec-4512-96b8-aa79cae19152",
"InvoiceId": "875b72c7-6e02-4a20-89c8-e5a7c8f3a286",
"Reason": "sample string 4",
"Status": "sample string 5",
"System": "sample string 6",
"SendingTime": "2026-05-20T20:09:49Z",
"SendingAttempts": 8,
"SendingType": "sample string 9"
}
]"""

FAILED_XML = """<ArrayOfInvoiceSendingStatusVo xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/Com.Healthbridge.Hhas.Billing.Interface.ValueObjects">
<InvoiceSendingStatusVo>
<EncounterId>6f8caf1e-9cec-4512-96b8-aa79cae19152</EncounterId>
<InvoiceId>875b72c7-6e02-4a20-89c8-e5a7c8f3a286</InvoiceId>
<PracticeId>26d78023-25ff-4db9-976b-64e352e6bf0b</PracticeId>
<Reason>sample string 4</Reason>
<SendingAttempts>8</SendingAttempts>
<SendingTime>2026-05-20T20:09:49.9361753+02:00</SendingTime>
<SendingType>sample string 9</SendingType>
<Status>sample string 5</Status>
<System>sample string 6</System>
</InvoiceSendingStatusVo>
<InvoiceSendingStatusVo>
<EncounterId>6f8caf1e-9cec-4512-96b8-aa79cae19152</EncounterId>
<InvoiceId>875b72c7-6e02-4a20-89c8-e5a7c8f3a286</InvoiceId>
<PracticeId>26d78023-25ff-4db9-976b-64e352e6bf0b</PracticeId>
<Reason>sample string 4</Reason>
<SendingAttempts>8</SendingAttempts>
<SendingTime>2026-05-20T20:09:49.9361753+02:00</SendingTime>
<SendingType>sample string 9</SendingType>
<Status>sample string 5</Status>
<System>sample string 6</System>
</InvoiceSendingStatusVo>
</ArrayOfInvoiceSendingStatusVo>"""

RETRY_JSON = """{
"Sucess": true,
"ResponseCode": 2,
"ResponseMessage": "sample string 3",
"Data": [
{
"PracticeId": "aa122594-478b-4b0a-ab1f-2fdd307930b5",
"EncounterId": "d1d59b72-742f-44fd-818a-1ad4958da0fc",
"InvoiceId": "81409f7b-0b26-4f1b-aaa0-271b171c8c04",
"Reason": "sample string 4",
"Status": "sample string 5",
"System": "sample string 6",
"SendingTime": "2025-12-14T19:20:43Z",
"SendingAttempts": 8,
"SendingType": "sample string 9"
},
{
"PracticeId": "aa122594-478b-4b0a-ab1f-2fdd307930b5",
"EncounterId": "d1d59b72-742f-44fd-818a-1ad4958da0fc",
"InvoiceId": "81409f7b-0b26-4f1b-aaa0-271b171c8c04",
"Reason": "sample string 4",
"Status": "sample string 5",
"System": "sample string 6",
"SendingTime": "2025-12-14T19:20:43Z",
"SendingAttempts": 8,
"SendingType": "sample string 9"
}
],
"Links": [
{
"Rel": "sample string 1",
"HRef": "sample string 2"
},
{
"Rel": "sample string 1",
"HRef": "sample string 2"
}
]
}"""

RETRY_XML = """<RestApiResultOfArrayOfInvoiceSendingStatusVo8ZwS41wm xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/Com.Healthbridge.Core.CommonDomain.Interface.ValueObjects">
<Data xmlns:d2p1="http://schemas.datacontract.org/2004/07/Com.Healthbridge.Hhas.Billing.Interface.ValueObjects">
<d2p1:InvoiceSendingStatusVo>
<d2p1:EncounterId>d1d59b72-742f-44fd-818a-1ad4958da0fc</d2p1:EncounterId>
<d2p1:InvoiceId>81409f7b-0b26-4f1b-aaa0-271b171c8c04</d2p1:InvoiceId>
<d2p1:PracticeId>aa122594-478b-4b0a-ab1f-2fdd307930b5</d2p1:PracticeId>
<d2p1:Reason>sample string 4</d2p1:Reason>
<d2p1:SendingAttempts>8</d2p1:SendingAttempts>
<d2p1:SendingTime>2025-12-14T19:20:43.1992775+02:00</d2p1:SendingTime>
<d2p1:SendingType>sample string 9</d2p1:SendingType>
<d2p1:Status>sample string 5</d2p1:Status>
<d2p1:System>sample string 6</d2p1:System>
</d2p1:InvoiceSendingStatusVo>
<d2p1:InvoiceSendingStatusVo>
<d2p1:EncounterId>d1d59b72-742f-44fd-818a-1ad4958da0fc</d2p1:EncounterId>
<d2p1:InvoiceId>81409f7b-0b26-4f1b-aaa0-271b171c8c04</d2p1:InvoiceId>
<d2p1:PracticeId>aa122594-478b-4b0a-ab1f-2fdd307930b5</d2p1:PracticeId>
<d2p1:Reason>sample string 4</d2p1:Reason>
<d2p1:SendingAttempts>8</d2p1:SendingAttempts>
<d2p1:SendingTime>2025-12-14T19:20:43.1992775+02:00</d2p1:SendingTime>
<d2p1:SendingType>sample string 9</d2p1:SendingType>
<d2p1:Status>sample string 5</d2p1:Status>
<d2p1:System>sample string 6</d2p1:System>
</d2p1:InvoiceSendingStatusVo>
</Data>
<Links>
<RestApiLink>
<HRef>sample string 2</HRef>
<Rel>sample string 1</Rel>
</RestApiLink>
<RestApiLink>
<HRef>sample string 2</HRef>
<Rel>sample string 1</Rel>
</RestApiLink>
</Links>
<ResponseCode>2</ResponseCode>
<ResponseMessage>sample string 3</ResponseMessage>
<Sucess>true</Sucess>
</RestApiResultOfArrayOfInvoiceSendingStatusVo8ZwS41wm>"""  # noqa: E501 (verbatim)

XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
SAST = timezone(timedelta(hours=2))  # the offset the samples' XML dates carry

StatusList = RestApiResult[list[InvoiceSendingStatusVo]]
GuidResult = RestApiResult[uuid.UUID]


def status(practice: str, encounter: str, invoice: str, sending_time: datetime) -> InvoiceSendingStatusVo:
    """A status with the help page's sample values ("sample string 4", ... 8)."""
    return InvoiceSendingStatusVo(
        PracticeId=uuid.UUID(practice),
        EncounterId=uuid.UUID(encounter),
        InvoiceId=uuid.UUID(invoice),
        Reason="sample string 4",
        Status="sample string 5",
        System="sample string 6",
        SendingTime=sending_time,
        SendingAttempts=8,
        SendingType="sample string 9",
    )


def failed_statuses(sending_time: datetime) -> list[InvoiceSendingStatusVo]:
    one = status(
        "26d78023-25ff-4db9-976b-64e352e6bf0b",
        "6f8caf1e-9cec-4512-96b8-aa79cae19152",
        "875b72c7-6e02-4a20-89c8-e5a7c8f3a286",
        sending_time,
    )
    return [one, one]


def retry_result(sending_time: datetime) -> StatusList:
    one = status(
        "aa122594-478b-4b0a-ab1f-2fdd307930b5",
        "d1d59b72-742f-44fd-818a-1ad4958da0fc",
        "81409f7b-0b26-4f1b-aaa0-271b171c8c04",
        sending_time,
    )
    link = RestApiLink(Rel="sample string 1", HRef="sample string 2")
    return StatusList(
        Sucess=True, ResponseCode=2, ResponseMessage="sample string 3", Data=[one, one], Links=[link, link]
    )


def parse(xml: str) -> ET.Element:
    """Our own output and the contract's samples: no DTD, no entities, nothing untrusted to defuse."""
    return ET.fromstring(xml)


def instant(text: str) -> datetime:
    """An XML date as an instant; .NET's seventh fractional digit (100 ns) is cut to microseconds."""
    return datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", text).replace("Z", "+00:00"))


def shape(element: ET.Element) -> tuple[Any, ...]:
    """Name (with namespace), attributes, text and children in order; indentation and date notation aside."""
    text = (element.text or "").strip()
    if element.tag.endswith("}SendingTime") and text:
        return (element.tag, element.attrib, instant(text), ())
    return (element.tag, element.attrib, text, tuple(shape(child) for child in element))


def compact(sample: str) -> str:
    """The sample as it travels: the help page indents it, Web API's XmlWriter does not."""
    return re.sub(r">\s+<", "><", sample)


def ordered(text: str) -> Any:
    """JSON with every object as its list of (key, value) pairs, so that key order is compared too."""
    return json.loads(text, object_pairs_hook=list)


# --- (a) XML against the samples --------------------------------------------------------------------------


def test_failed_list_xml_has_the_shape_of_seed_000() -> None:
    xml = render_xml(failed_statuses(datetime(2026, 5, 20, 20, 9, 49, 936175, tzinfo=SAST)))

    assert shape(parse(xml)) == shape(parse(FAILED_XML))


def test_failed_list_xml_is_the_sample_itself_but_for_indentation_and_the_date_in_utc() -> None:
    xml = render_xml(failed_statuses(datetime(2026, 5, 20, 20, 9, 49, 936175, tzinfo=SAST)))

    expected = compact(FAILED_XML).replace("2026-05-20T20:09:49.9361753+02:00", "2026-05-20T18:09:49.936175Z")
    assert xml == expected


def test_retry_result_xml_has_the_shape_of_seed_001() -> None:
    xml = render_xml(retry_result(datetime(2025, 12, 14, 19, 20, 43, 199277, tzinfo=SAST)))

    root = parse(xml)
    assert root.tag == f"{{{COMMON_NS}}}RestApiResultOfArrayOfInvoiceSendingStatusVo8ZwS41wm"
    assert [child.tag for child in root] == [
        f"{{{COMMON_NS}}}{name}" for name in ("Data", "Links", "ResponseCode", "ResponseMessage", "Sucess")
    ]
    data = root.find(f"{{{COMMON_NS}}}Data")
    assert data is not None
    assert [item.tag for item in data] == [f"{{{BILLING_NS}}}InvoiceSendingStatusVo"] * 2
    assert shape(root) == shape(parse(RETRY_XML))


def test_retry_result_xml_declares_the_items_prefix_on_data_as_the_sample_does() -> None:
    xml = render_xml(retry_result(datetime(2025, 12, 14, 19, 20, 43, 199277, tzinfo=SAST)))

    expected = compact(RETRY_XML).replace("2025-12-14T19:20:43.1992775+02:00", "2025-12-14T17:20:43.199277Z")
    assert xml == expected
    assert not xml.startswith("<?xml")


# --- (b) JSON against the samples -------------------------------------------------------------------------


def test_failed_list_json_equals_seed_000_keys_in_order() -> None:
    body = render_json(failed_statuses(datetime(2026, 5, 20, 20, 9, 49, tzinfo=UTC)))

    assert ordered(body) == ordered(FAILED_JSON)


def test_retry_result_json_equals_seed_001_keys_in_order() -> None:
    body = render_json(retry_result(datetime(2025, 12, 14, 19, 20, 43, tzinfo=UTC)))

    assert ordered(body) == ordered(RETRY_JSON)


def test_json_dates_are_utc_whole_seconds_with_z() -> None:
    one = failed_statuses(datetime(2026, 5, 20, 20, 9, 49, 936175, tzinfo=SAST))[0]

    assert json.loads(render_json([one]))[0]["SendingTime"] == "2026-05-20T18:09:49Z"


# --- the cancel endpoint's RestApiResult<Guid> ------------------------------------------------------------


def test_guid_result_is_named_without_digest_and_carries_the_id_as_text() -> None:
    invoice_id = uuid.UUID("81409f7b-0b26-4f1b-aaa0-271b171c8c04")
    result = GuidResult(Sucess=True, ResponseCode=200, ResponseMessage="Cancelled", Data=invoice_id)

    xml = render_xml(result)
    root = parse(xml)

    assert xml.startswith(
        f'<RestApiResultOfguid xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="{COMMON_NS}">'
    )
    assert root.tag == f"{{{COMMON_NS}}}RestApiResultOfguid"
    assert root.findtext(f"{{{COMMON_NS}}}Data") == str(invoice_id)
    assert "<Links />" in xml
    assert ordered(render_json(result)) == [
        ("Sucess", True),
        ("ResponseCode", 200),
        ("ResponseMessage", "Cancelled"),
        ("Data", str(invoice_id)),
        ("Links", []),
    ]


# --- (c) content negotiation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("   ", "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("text/json", "text/json"),
        ("application/xml", "application/xml"),
        ("text/xml", "text/xml"),
        ("TEXT/XML; charset=utf-8", "text/xml"),
        ("text/xml;q=0.9, application/json;q=0.5", "text/xml"),
        ("application/json;q=0.5, application/xml", "application/xml"),
        ("application/*", "application/json"),
        ("text/*", "text/json"),
        ("text/html, application/xml;q=0.1", "application/xml"),
        # a browser: Web API famously answers it with XML
        ("text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8", "application/xml"),
        # equal q-values: the formatter registered first (JSON) wins, whatever the client's order
        ("application/xml, application/json", "application/json"),
        # a literal match beats a wildcard of the same q-value
        ("*/*, text/xml", "text/xml"),
        # the wildcard's higher q-value counts, as in Web API
        ("application/xml;q=0.5, */*;q=0.9", "application/json"),
        ("application/json;q=0, text/xml;q=0.1", "text/xml"),
        ("application/json;q=abc, text/xml", "text/xml"),  # a value that does not parse is ignored
        ("nonsense", "application/json"),  # ...and a header of nothing but such values is no header
    ],
)
def test_accept_header_chooses_format_and_content_type(accept: str | None, media_type: str) -> None:
    negotiated = negotiate(accept)

    assert negotiated.media_type == media_type
    assert negotiated.format is (WireFormat.XML if media_type.endswith("/xml") else WireFormat.JSON)
    assert negotiated.content_type == f"{media_type}; charset=utf-8"


@pytest.mark.parametrize(
    "accept", ["text/html", "image/png", "text/html, image/*", "application/json;q=0", "text/plain;q=1"]
)
def test_accept_header_naming_nothing_we_write_is_not_acceptable(accept: str) -> None:
    with pytest.raises(NotAcceptable) as raised:
        negotiate(accept)

    assert isinstance(raised.value, InvoiceHubError)
    assert "application/json" in raised.value.message


def test_render_answers_with_the_negotiated_content_type() -> None:
    statuses = failed_statuses(datetime(2026, 5, 20, 20, 9, 49, tzinfo=UTC))

    xml, xml_type = render(statuses, negotiate("text/xml"))
    body, json_type = render(statuses, negotiate(None))

    assert xml.startswith("<ArrayOfInvoiceSendingStatusVo ")
    assert xml_type == "text/xml; charset=utf-8"
    assert json.loads(body)[0]["SendingAttempts"] == 8
    assert json_type == "application/json; charset=utf-8"
    assert render(statuses, Negotiated(WireFormat.JSON, "text/json"))[1] == "text/json; charset=utf-8"


# --- (d) nulls --------------------------------------------------------------------------------------------


def test_nulls_are_written_as_datacontract_nil_and_json_null() -> None:
    one = InvoiceSendingStatusVo(
        PracticeId=uuid.uuid4(),
        EncounterId=None,
        InvoiceId=uuid.uuid4(),
        Reason=None,
        Status="Failed",
        System="MediKredit",
        SendingTime=None,
        SendingAttempts=0,
        SendingType="Claim",
    )

    xml = render_xml([one])
    item = parse(xml)[0]

    for name in ("EncounterId", "Reason", "SendingTime"):
        assert f'<{name} i:nil="true" />' in xml
        element = item.find(f"{{{BILLING_NS}}}{name}")
        assert element is not None
        assert element.attrib == {f"{XSI}nil": "true"}
        assert element.text is None
    nulls = [key for key, value in json.loads(render_json([one]))[0].items() if value is None]
    assert nulls == ["EncounterId", "Reason", "SendingTime"]


def test_empty_collections_use_the_short_form() -> None:
    empty = StatusList(Sucess=True, ResponseCode=0, ResponseMessage="", Data=[], Links=[])

    assert render_xml([]) == (f'<ArrayOfInvoiceSendingStatusVo xmlns:i="{XSI[1:-1]}" xmlns="{BILLING_NS}" />')
    assert (
        f'<Data xmlns:d2p1="{BILLING_NS}" /><Links /><ResponseCode>0</ResponseCode><ResponseMessage />'
        in (render_xml(empty))
    )
    assert render_json([]) == "[]"


# --- (e) escaping -----------------------------------------------------------------------------------------


def test_reason_text_is_escaped_and_reads_back_unchanged() -> None:
    reason = 'Rejected by <MediKredit> & co: "code" > 5, it\'s final'
    one = failed_statuses(datetime(2026, 5, 20, 20, 9, 49, tzinfo=UTC))[0].model_copy(
        update={"Reason": reason}
    )

    xml = render_xml([one])

    assert '<Reason>Rejected by &lt;MediKredit&gt; &amp; co: "code" &gt; 5, it\'s final</Reason>' in xml
    assert parse(xml)[0].findtext(f"{{{BILLING_NS}}}Reason") == reason
    assert json.loads(render_json([one]))[0]["Reason"] == reason


def test_characters_xml_cannot_carry_are_replaced_not_fatal() -> None:
    one = failed_statuses(datetime(2026, 5, 20, 20, 9, 49, tzinfo=UTC))[0].model_copy(
        update={"Reason": "bad\x01byte, caf\u00e9 \U0001f4b3\ttab"}
    )

    xml = render_xml([one])

    assert parse(xml)[0].findtext(f"{{{BILLING_NS}}}Reason") == "bad\ufffdbyte, caf\u00e9 \U0001f4b3\ttab"


# --- dates ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2026, 5, 20, 20, 9, 49, 936175, tzinfo=SAST), "2026-05-20T18:09:49.936175Z"),
        (datetime(2026, 5, 20, 18, 9, 49, 500000, tzinfo=UTC), "2026-05-20T18:09:49.5Z"),
        (datetime(2026, 5, 20, 18, 9, 49, tzinfo=UTC), "2026-05-20T18:09:49Z"),
        (datetime(2026, 5, 20, 18, 9, 49), "2026-05-20T18:09:49Z"),  # naive: taken as UTC
    ],
)
def test_xml_dates_are_utc_as_datacontractserializer_writes_them(value: datetime, text: str) -> None:
    assert xml_time(value) == text


# --- (f) .NET generic contract names ----------------------------------------------------------------------


def test_namespaces_digest_reproduces_the_suffix_of_seed_001() -> None:
    # DataContract.GetDefaultStableLocalName: " {parameter count}" then " {namespace}" per type argument
    assert namespaces_digest(f" 1 {BILLING_NS}") == "8ZwS41wm"


def test_generic_contract_names_of_both_envelopes() -> None:
    assert (
        generic_contract_name("RestApiResult", [("ArrayOfInvoiceSendingStatusVo", BILLING_NS)])
        == "RestApiResultOfArrayOfInvoiceSendingStatusVo8ZwS41wm"
        == RESULT_OF_STATUS_LIST
    )
    # Guid's contract (guid, in the serialization namespace) is built in: .NET adds no digest
    assert generic_contract_name("RestApiResult", [("guid", SERIALIZATION_NS)]) == "RestApiResultOfguid"
    assert RESULT_OF_GUID == "RestApiResultOfguid"


@pytest.mark.parametrize("namespaces", [f" {n} http://example.org/{n}" for n in range(40)])
def test_digest_is_md5_base64_with_dotnet_substitutions(namespaces: str) -> None:
    raw = base64.b64encode(hashlib.md5(namespaces.encode(), usedforsecurity=False).digest()[:6]).decode()

    digest = namespaces_digest(namespaces)

    assert re.fullmatch(r"[A-Za-z0-9_SP]+", digest)
    assert digest.replace("_S", "/").replace("_P", "+") == raw


# --- cheap to import --------------------------------------------------------------------------------------


def test_module_imports_without_powertools() -> None:
    code = (
        "import sys, invoice_hub.contracts.healthbridge.format; "
        "sys.exit('aws_lambda_powertools' in sys.modules or 'boto3' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0  # noqa: S603
