"""Attachments and signed statements: multipart/mixed in and out, over real HTTP."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from inward.xapi.attachments import AttachmentPart, build_multipart, parse_multipart
from inward.xapi.clients import create_client
from inward.xapi.models import Statement, StatementAttachment
from inward.xapi.tests.statements_http import Lrs, new_id, statement

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
BOUNDARY = "abc123boundary"


@pytest.fixture
def lrs(live_server: Any, transactional_db: None) -> Lrs:
    client, secret = create_client(name="Moodle")
    return Lrs(base=live_server.url + "/xapi", key=client.key, secret=secret)


def declared(
    content: bytes, usage: str = "http://example.com/usage/certificate", **extra: Any
) -> dict[str, Any]:
    return {
        "usageType": usage,
        "display": {"en-US": "Certificate"},
        "contentType": "text/plain",
        "length": len(content),
        "sha2": hashlib.sha256(content).hexdigest(),
        **extra,
    }


def multipart(statements: Any, parts: list[tuple[bytes, dict[str, str]]]) -> bytes:
    chunks = [
        f"--{BOUNDARY}\r\nContent-Type: application/json\r\n\r\n".encode(),
        json.dumps(statements).encode(),
        b"\r\n",
    ]
    for content, headers in parts:
        chunks.append(f"--{BOUNDARY}\r\n".encode())
        chunks += [f"{k}: {v}\r\n".encode() for k, v in headers.items()]
        chunks += [b"\r\n", content, b"\r\n"]
    chunks.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(chunks)


def part_headers(content: bytes, **extra: str) -> dict[str, str]:
    return {
        "Content-Type": "text/plain",
        "Content-Transfer-Encoding": "binary",
        "X-Experience-API-Hash": hashlib.sha256(content).hexdigest(),
        **extra,
    }


def post_multipart(lrs: Lrs, body: bytes) -> Any:
    headers = {"Content-Type": f"multipart/mixed; boundary={BOUNDARY}"}
    return lrs.request("POST", "/statements", body=body, headers=headers)


def test_an_attachment_is_kept_and_returned_when_asked_for(lrs: Lrs) -> None:
    content = "Certificate of completion ✓".encode()
    sid = new_id()
    body = multipart(
        statement(id=sid, attachments=[declared(content)]), [(content, part_headers(content))]
    )
    assert post_multipart(lrs, body).status == 200
    assert StatementAttachment.objects.filter(sha2=hashlib.sha256(content).hexdigest()).exists()
    plain = lrs.get(f"statementId={sid}")
    assert plain.headers["Content-Type"] == "application/json"
    answer = lrs.get(f"statementId={sid}&attachments=true")
    assert answer.headers["Content-Type"].startswith("multipart/mixed; boundary=")
    parsed = parse_multipart(answer.body, answer.headers["Content-Type"])
    assert json.loads(parsed.json_body)["id"] == sid
    assert [p.content for p in parsed.parts.values()] == [content]
    listed = lrs.get("attachments=true")
    assert json.loads(parse_multipart(listed.body, listed.headers["Content-Type"]).json_body)[
        "statements"
    ]


def test_a_file_url_attachment_needs_no_part(lrs: Lrs) -> None:
    attachment = declared(b"elsewhere", fileUrl="https://files.example.com/cert.pdf")
    assert lrs.post(statement(attachments=[attachment])).status == 200


@pytest.mark.parametrize(
    "problem",
    [
        "missing part",
        "extra part",
        "wrong hash",
        "base64 encoding",
        "no boundary",
        "json not first",
    ],
)
def test_malformed_attachments_are_refused_and_nothing_is_stored(lrs: Lrs, problem: str) -> None:
    content = b"the real content"
    data = statement(attachments=[declared(content)])
    parts = [(content, part_headers(content))]
    content_type = f"multipart/mixed; boundary={BOUNDARY}"
    if problem == "missing part":
        parts = []
    elif problem == "extra part":
        parts.append((b"stray", part_headers(b"stray")))
    elif problem == "wrong hash":
        parts = [(b"other content", part_headers(content))]
    elif problem == "base64 encoding":
        parts = [(content, part_headers(content, **{"Content-Transfer-Encoding": "base64"}))]
    elif problem == "no boundary":
        content_type = "multipart/mixed"
    body = multipart(data, parts)
    if problem == "json not first":
        body = multipart(data, parts).replace(b"application/json", b"text/plain", 1)
    answer = lrs.request("POST", "/statements", body=body, headers={"Content-Type": content_type})
    assert answer.status == 400
    assert not Statement.objects.exists()


def test_attachments_without_content_as_plain_json_are_refused(lrs: Lrs) -> None:
    assert lrs.post(statement(attachments=[declared(b"x")])).status == 400


# --- signed statements -----------------------------------------------------------------


def _key_and_certificate() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Inward test signer")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def jws(payload: Any, key: rsa.RSAPrivateKey, header: dict[str, Any]) -> bytes:
    signing_input = _b64(json.dumps(header).encode()) + b"." + _b64(json.dumps(payload).encode())
    algorithm = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}.get(
        header["alg"], hashes.SHA256()
    )
    signature = key.sign(signing_input, padding.PKCS1v15(), algorithm)
    return signing_input + b"." + _b64(signature)


def signed_body(
    data: dict[str, Any], token: bytes, content_type: str = "application/octet-stream"
) -> bytes:
    attachment = declared(token, usage=SIGNATURE, contentType=content_type)
    signed = {**data, "attachments": [attachment]}
    return multipart(signed, [(token, part_headers(token, **{"Content-Type": content_type}))])


@pytest.fixture(scope="module")
def signer() -> tuple[rsa.RSAPrivateKey, str]:
    key, certificate = _key_and_certificate()
    return key, base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_a_signed_statement_is_accepted(lrs: Lrs, signer: Any, alg: str) -> None:
    key, certificate = signer
    data = statement(id=new_id())
    token = jws(data, key, {"alg": alg, "x5c": [certificate]})
    assert post_multipart(lrs, signed_body(data, token)).status == 200
    answer = lrs.get(f"statementId={data['id']}&attachments=true")
    parsed = parse_multipart(answer.body, answer.headers["Content-Type"])
    assert [p.content for p in parsed.parts.values()] == [token]


def test_bad_signatures_are_refused(lrs: Lrs, signer: Any) -> None:
    key, certificate = signer
    data = statement(id=new_id())
    other = {**data, "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}}
    wrong_payload = jws(other, key, {"alg": "RS256"})
    assert post_multipart(lrs, signed_body(data, wrong_payload)).status == 400
    other_key, _ = _key_and_certificate()
    wrong_key = jws(data, other_key, {"alg": "RS256", "x5c": [certificate]})
    assert post_multipart(lrs, signed_body(data, wrong_key)).status == 400
    hmac_header = _b64(json.dumps({"alg": "HS256"}).encode())
    hmac = hmac_header + b"." + _b64(json.dumps(data).encode()) + b".c2ln"
    assert post_multipart(lrs, signed_body(data, hmac)).status == 400
    good = jws(data, key, {"alg": "RS256"})
    assert post_multipart(lrs, signed_body(data, good, "text/plain")).status == 400
    assert post_multipart(lrs, signed_body(data, b"not-a-jws")).status == 400
    assert not Statement.objects.exists()


# --- the multipart format itself -------------------------------------------------------


@given(
    json_body=st.binary(max_size=200),
    contents=st.lists(st.binary(max_size=300), max_size=4, unique=True),
)
def test_a_built_multipart_body_reads_back_the_same(
    json_body: bytes, contents: list[bytes]
) -> None:
    parts = [
        AttachmentPart(
            sha2=hashlib.sha256(c).hexdigest(), content_type="application/pdf", content=c
        )
        for c in contents
    ]
    body, content_type = build_multipart(json_body, parts)
    parsed = parse_multipart(body, content_type)
    assert parsed.json_body == json_body
    assert {p.sha2: p.content for p in parsed.parts.values()} == {p.sha2: p.content for p in parts}
