"""Email addresses as the list stores them: checked and normalised once, compared without case."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


class InvalidAddress(ValueError):
    """An address that is not a valid email address; the message says why."""


def normalise(address: str) -> str:
    """The address as stored: syntax checked (no DNS lookup), domain lowercased, Unicode normalised.

    email-validator follows RFC 5321/5322/6531 and refuses what mail servers refuse (a missing
    domain, `..`, special-use domains such as `.test`), so a bad row is caught at import, not at send.
    """
    address = address.strip()
    if not address:
        raise InvalidAddress("is empty")
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidAddress(_lower_first(str(exc))) from None


def address_key(address: str) -> str:
    """What makes two addresses the same subscriber: the normalised address without case."""
    return address.casefold()


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
