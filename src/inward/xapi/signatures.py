"""Signed statements (xAPI 1.0.3, Data 2.6).

A signed statement carries a JWS (compact serialisation) as an attachment with usage
type ``.../attachments/signature`` and content type ``application/octet-stream``. The
LRS checks that the JWS is well formed, uses RS256, RS384 or RS512, that its payload is
the statement itself (compared as in ``inward.xapi.comparison``), and, when the JWS
header carries an X.509 chain (``x5c``), that the signature verifies with the first
certificate's key. Without ``x5c`` there is no key to verify with; the statement is
kept with its signature for whoever reads it later.

The certificate travels with the statement and is not checked against any trust anchor
(no chain, expiry or revocation): a signature that verifies shows the statement is what
the holder of that key signed, not who the holder is (docs/conformance.md says so).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from inward.xapi.attachments import SIGNATURE_USAGE, AttachmentPart
from inward.xapi.comparison import statements_equivalent
from inward.xapi.protocol import LrsError
from inward.xapi.validation import XapiValidationError, parse_json

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}


def check_signatures(statements: list[dict[str, Any]], parts: dict[str, AttachmentPart]) -> None:
    """Raise ``LrsError`` (400) unless every signature attachment is a valid JWS of
    its statement."""
    for statement in statements:
        for attachment in statement.get("attachments") or []:
            if attachment.get("usageType") != SIGNATURE_USAGE:
                continue
            if str(attachment.get("contentType", "")).lower() != "application/octet-stream":
                raise LrsError(400, "A signature attachment must be application/octet-stream.")
            part = parts.get(str(attachment.get("sha2", "")).lower())
            if part is None:
                raise LrsError(400, "A signed statement must send its JWS as a multipart part.")
            _check_jws(part.content, statement)


def _check_jws(token: bytes, statement: dict[str, Any]) -> None:
    pieces = token.strip().split(b".")
    if len(pieces) != 3:
        raise LrsError(400, "The signature is not a JWS in compact serialisation.")
    header = _json_piece(pieces[0], "header")
    payload = _json_piece(pieces[1], "payload")
    algorithm = header.get("alg") if isinstance(header, dict) else None
    if algorithm not in _HASHES:
        raise LrsError(400, "A statement signature must use RS256, RS384 or RS512.")
    if not isinstance(payload, dict):
        raise LrsError(400, "The JWS payload must be the signed statement, a JSON object.")
    if not _same_statement(payload, statement):
        raise LrsError(400, "The JWS payload does not match the statement it signs.")
    chain = header.get("x5c")
    if chain:
        _verify(chain, algorithm, pieces[0] + b"." + pieces[1], _b64(pieces[2], "signature"))


def _same_statement(payload: dict[str, Any], statement: dict[str, Any]) -> bool:
    if "id" not in payload:
        statement = {k: v for k, v in statement.items() if k != "id"}
    return statements_equivalent(payload, statement)


def _verify(chain: Any, algorithm: str, signed: bytes, signature: bytes) -> None:
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(chain[0]))
        key = certificate.public_key()
    except (ValueError, TypeError, IndexError, KeyError, binascii.Error) as exc:
        raise LrsError(400, "The JWS x5c certificate cannot be read.") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise LrsError(400, "The JWS x5c certificate does not hold an RSA key.")
    try:
        key.verify(signature, signed, padding.PKCS1v15(), _HASHES[algorithm]())
    except InvalidSignature as exc:
        raise LrsError(
            400, "The statement signature does not verify with its certificate."
        ) from exc


def _b64(piece: bytes, what: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(piece + b"=" * (-len(piece) % 4))
    except (binascii.Error, ValueError) as exc:
        raise LrsError(400, f"The JWS {what} is not base64url.") from exc


def _json_piece(piece: bytes, what: str) -> Any:
    # parse_json: json.loads would answer deep nesting or a 5,000-digit number with an
    # exception no one catches (a 500).
    try:
        return parse_json(_b64(piece, what), path=f"JWS {what}")
    except XapiValidationError as exc:
        raise LrsError(400, f"The JWS {what} is not valid JSON ({exc.detail}).") from exc
