"""`publisher send`: every active subscriber of the section gets one personalised copy, over SMTP.

Sent to a real aiosmtpd server on 127.0.0.1; every received message is parsed back.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import dkim
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from sending import SECRET, SERVICE, SLUG, Sending, links_of, parse, token_owner
from smtp_server import SmtpServer

from publisher.cli import main


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    smtp = SmtpServer()
    smtp.start()
    yield smtp
    smtp.stop()


@pytest.fixture
def sending(tmp_path: Path, sample_out: Path, server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> Sending:
    monkeypatch.setenv("PUBLISHER_SMTP_URL", server.url)
    monkeypatch.setenv("PUBLISHER_SECRET", SECRET)
    monkeypatch.delenv("PUBLISHER_DKIM_KEY", raising=False)
    return Sending(tmp_path / "pub", sample_out, server)


def test_each_active_subscriber_of_the_section_gets_one_personal_copy(sending: Sending) -> None:
    everyone = sending.add(3, name="Reader")
    playbooks_only = sending.store.add("play@example.org", sections=["playbooks"])
    sending.store.add("left@example.org", status="unsubscribed")
    sending.store.add("gone@example.org", status="bounced")
    sending.store.add("unconfirmed@example.org", status="pending")

    result = sending.send("--yes")

    assert (result.exit_code, result.stderr) == (0, "")
    assert re.fullmatch(r"Sent 3 of 3 to analyses subscribers in \d+ s\n", result.stdout)
    assert "@" not in result.stdout
    assert sending.copies() == {f"reader{n}@example.org": 1 for n in range(3)}
    assert playbooks_only.id not in everyone
    message_ids = set()
    for received in sending.received():
        message = parse(received.data)
        subscriber = sending.store.find(received.recipient)
        assert subscriber is not None
        assert message["To"] == f"Reader <{received.recipient}>"
        assert message["Subject"] == "[Analysis] The Permit Bottleneck"
        assert message["From"] == "The Civic Ledger <newsletter@civicledger.example>"
        assert received.sender == "newsletter@civicledger.example"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert str(message["List-Unsubscribe"]).endswith(
            ", <mailto:unsubscribe@civicledger.example?subject=unsubscribe>"
        )
        links = links_of(message)
        (unsubscribe,) = links["header"]
        assert unsubscribe.startswith(f"{SERVICE}/unsubscribe/")
        assert unsubscribe in links["html"] and unsubscribe in links["text"]
        assert {token_owner(url) for url in links["html"] | links["text"]} == {subscriber.id}
        assert {url.split("/")[3] for url in links["html"]} == {"unsubscribe", "preferences"}
        assert "{{" not in received.data.decode()
        message_ids.add(message["Message-ID"])
        assert message["Message-ID"] == f"<{SLUG}.e1.s{subscriber.id}@civicledger.example>"
    assert len(message_ids) == 3


def test_sending_again_sends_nothing_and_an_edited_post_needs_again(sending: Sending) -> None:
    sending.add(2)
    assert sending.send("--yes").exit_code == 0
    again = sending.send("--yes")
    assert (again.exit_code, again.stdout) == (
        0,
        f"Nothing to send: edition 1 of {SLUG} went to 2 of 2 subscribers.\n",
    )
    assert sum(sending.copies().values()) == 2

    eml = sending.out / "email" / f"{SLUG}.eml"
    eml.write_bytes(eml.read_bytes().replace(b"Permit Bottleneck", b"Permit Bottleneck, revised"))
    edited = sending.send("--yes")
    assert edited.exit_code == 1
    assert edited.stderr == (
        f"Error: posts/analyses/{SLUG}.md: the built email of {SLUG} changed since edition 1 went to "
        "2 subscribers; send the new version to everyone with --again\n"
    )
    assert sum(sending.copies().values()) == 2
    new_edition = sending.send("--yes", "--again")
    assert re.fullmatch(r"Sent 2 of 2 to analyses subscribers in \d+ s\n", new_edition.stdout)
    assert sending.copies() == {"reader0@example.org": 2, "reader1@example.org": 2}
    status = sending.send("--status")
    lines = status.stdout.splitlines()
    assert lines[0].startswith("Edition 1 ([Analysis] The Permit Bottleneck), started ")
    assert lines[1] == "  2 sent, 0 failed, 0 pending, 0 unknown, 0 skipped"
    assert lines[2].startswith("Edition 2 ([Analysis] The Permit Bottleneck, revised), started ")
    assert ", completed " in lines[2]
    assert lines[3] == "  2 sent, 0 failed, 0 pending, 0 unknown, 0 skipped"


def test_dry_run_status_and_confirmation(sending: Sending) -> None:
    sending.add(4)
    dry = sending.send("--dry-run")
    assert dry.stdout == (
        f'Would send a new edition of {SLUG} ("[Analysis] The Permit Bottleneck") to 4 of 4 analyses '
        f"subscribers via 127.0.0.1:{sending.server.port}; nothing was sent.\n"
    )
    assert sending.send("--status").stdout == f"{SLUG} has not been sent.\n"
    unconfirmed = sending.send()
    assert unconfirmed.exit_code == 2
    assert unconfirmed.stderr.endswith("Error: not on a terminal: pass --yes to send without confirmation\n")
    assert sending.received() == []


def test_on_a_terminal_send_asks_first(sending: Sending, monkeypatch: pytest.MonkeyPatch) -> None:
    sending.add(2)
    monkeypatch.setattr("publisher.cli.on_terminal", lambda: True)
    question = (
        'Send "[Analysis] The Permit Bottleneck" (edition 1) to 2 analyses subscribers '
        f"via 127.0.0.1:{sending.server.port}? [y/N]: "
    )
    no = CliRunner().invoke(main, ["send", SLUG, "--root", str(sending.root)], input="n\n")
    assert (no.exit_code, no.stderr) == (1, question + "n\nNothing was sent.\n")  # the runner echoes input
    assert sending.received() == []
    yes = CliRunner().invoke(main, ["send", SLUG, "--root", str(sending.root)], input="y\n")
    assert (yes.exit_code, yes.stderr) == (0, question + "y\n")
    assert len(sending.received()) == 2


def test_a_test_send_is_marked_and_not_recorded(sending: Sending) -> None:
    reader = sending.store.add("reader@example.org", name="Reader")
    result = sending.send("--to", "Reader@Example.org", "--to", "editor@example.org")
    assert result.stdout == (
        f"Sent a test of {SLUG} to Reader@example.org.\nSent a test of {SLUG} to editor@example.org.\n"
    )
    first, second = (parse(r.data) for r in sending.received())
    assert first["Subject"] == second["Subject"] == "[Test] [Analysis] The Permit Bottleneck"
    assert {token_owner(url) for url in links_of(first)["html"]} == {reader.id}
    assert "{{ unsubscribe_url }}" in str(second["List-Unsubscribe"])  # not on the list: merge tags kept
    assert sending.send("--status").stdout == f"{SLUG} has not been sent.\n"
    bad = sending.send("--to", "nobody")
    assert (bad.exit_code, bad.stderr) == (2, "Error: --to nobody: an email address must have an @-sign.\n")


def test_what_a_send_needs_is_checked_before_anything_is_sent(
    sending: Sending, monkeypatch: pytest.MonkeyPatch
) -> None:
    sending.add(1)
    assert run_error(sending, "no-such-post") == (1, "Error: no post has the slug 'no-such-post'\n")
    monkeypatch.delenv("PUBLISHER_SECRET")
    code, message = run_error(sending)
    assert code == 1 and message.startswith(
        "Error: PUBLISHER_SECRET is not set: set it to a long random value"
    )
    monkeypatch.setenv("PUBLISHER_SECRET", SECRET)
    (sending.out / "email" / f"{SLUG}.eml").unlink()
    eml = (sending.out / "email" / f"{SLUG}.eml").as_posix()
    assert run_error(sending) == (1, f"Error: {eml} does not exist: run publisher build first\n")
    assert sending.received() == []


def test_drafts_and_scheduled_posts_are_only_test_sent(sending: Sending) -> None:
    sending.add(1)
    post = sending.root / "posts" / "analyses" / f"{SLUG}.md"
    text = post.read_text(encoding="utf-8")
    post.write_text(text.replace("\n---\n", "\ndraft: true\n---\n", 1), encoding="utf-8")
    assert run_error(sending) == (
        1,
        f"Error: posts/analyses/{SLUG}.md: {SLUG} is a draft; only published posts are sent "
        "(--to sends a test)\n",
    )
    assert sending.send("--to", "editor@example.org").exit_code == 0
    assert [r.recipient for r in sending.received()] == ["editor@example.org"]


def run_error(sending: Sending, slug: str = SLUG) -> tuple[int, str]:
    from conftest import run

    result = run("send", slug, "--root", str(sending.root), "--yes")
    return result.exit_code, result.stderr


def test_dkim_signs_both_list_unsubscribe_headers_and_verifies(
    sending: Sending, monkeypatch: pytest.MonkeyPatch
) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(Encoding.PEM, PrivateFormat.TraditionalOpenSSL, NoEncryption()).decode()
    public = private.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    monkeypatch.setenv("PUBLISHER_DKIM_KEY", pem)
    config = sending.root / "publication.toml"
    config.write_text(config.read_text() + 'dkim_selector = "news2026"\n')  # [delivery] is the last table
    sending.add(2)
    assert sending.send("--yes").exit_code == 0

    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"news2026._domainkey.civicledger.example."
        return record

    for received in sending.received():
        assert received.data.startswith(b"DKIM-Signature: ")
        assert dkim.verify(received.data, dnsfunc=dns)
        signature = parse(received.data)["DKIM-Signature"]
        signed = {h.strip() for h in str(signature).split("h=", 1)[1].split(";", 1)[0].split(":")}
        assert {"list-unsubscribe", "list-unsubscribe-post", "from", "to", "subject"} <= signed
        tampered = received.data.replace(
            b"List-Unsubscribe-Post: List-Unsubscribe=One-Click", b"List-Unsubscribe-Post: x"
        )
        assert not dkim.verify(tampered, dnsfunc=dns)
