"""Invoice documents (PDFs) in the stack's S3 bucket, encrypted by the bucket's default (the stack's KMS
key), served by short-lived presigned URLs.

An object's key holds ids and version numbers only, never patient data:
`documents/<tenant>/<invoice>/v<invoice version>-c<contact stamp>.pdf`. A new invoice version or a changed
contact (the name on the document) is a new key, so a document is rendered once per version; the
bucket's lifecycle rule expires old ones.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from invoice_hub import aws_clients
from invoice_hub.config import Settings
from invoice_hub.dal.keys import document_key, documents_prefix

__all__ = ["DocumentStore", "document_key", "document_store", "documents_prefix"]


@lru_cache(maxsize=1)
def s3_client() -> Any:
    # SigV4: a presigned URL of a KMS-encrypted object needs it
    return aws_clients.client(
        "s3",
        config=Config(
            signature_version="s3v4",
            retries={"mode": "standard", "max_attempts": 4},
            connect_timeout=2,
            read_timeout=10,
        ),
    )


class DocumentStore:
    """The documents of one bucket. Its S3 client is made on first use: a function that builds the store
    and never reads or writes a document (the Sender for a webhook, a 404) does not pay for it."""

    def __init__(self, bucket: str, client: Any = None) -> None:
        self.bucket = bucket
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = s3_client()
        return self._client

    def get(self, key: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        return bytes(answer["Body"].read())

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise
        return True

    def put(self, key: str, pdf: bytes) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=key, Body=pdf, ContentType="application/pdf", ContentDisposition="inline"
        )

    def url(self, key: str, seconds: int) -> str:
        """A presigned GET of the document, valid for `seconds`."""
        return str(
            self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=seconds
            )
        )

    def delete_prefix(self, prefix: str) -> int:
        """Deletes every document under the prefix (an erased patient's); how many."""
        deleted = 0
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            objects = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if objects:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True})
                deleted += len(objects)
        return deleted


@lru_cache(maxsize=2)
def document_store(settings: Settings) -> DocumentStore:
    if not settings.documents_bucket:
        raise RuntimeError("DOCUMENTS_BUCKET must be set for this function")
    return DocumentStore(settings.documents_bucket)
