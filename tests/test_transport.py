"""The SMTP transport against a real aiosmtpd server on 127.0.0.1: each way an attempt can end."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.smtp import AuthResult
from smtp_server import SmtpServer

from publisher.delivery.transport import (
    FatalFailure,
    PermanentFailure,
    SmtpConfigError,
    SmtpSettings,
    SmtpTransport,
    TemporaryFailure,
    settings_from_environment,
)

MESSAGE = (
    b"From: news@example.org\r\nTo: reader@example.org\r\nSubject: Hello\r\n\r\n"
    b"First line.\r\n.A line that starts with a dot.\r\n.\r\nLast line.\r\n"
)


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    smtp = SmtpServer()
    smtp.start()
    yield smtp
    smtp.stop()


def transport_for(server: SmtpServer, **changes: object) -> SmtpTransport:
    settings = SmtpSettings.from_url(server.url, timeout=5)
    return SmtpTransport(SmtpSettings(**{**settings.__dict__, **changes}))


def test_a_message_arrives_byte_for_byte_with_leading_dots_kept(server: SmtpServer) -> None:
    with transport_for(server) as transport:
        reply = transport.send("news@example.org", "reader@example.org", MESSAGE)
        transport.send("news@example.org", "other@example.org", MESSAGE)
        assert transport.sent_on_connection == 2
    assert reply.startswith("2.0.0 Ok")
    received = server.recorder.received
    assert [r.recipient for r in received] == ["reader@example.org", "other@example.org"]
    assert received[0].sender == "news@example.org"
    assert received[0].data == MESSAGE


def test_unknown_user_is_a_permanent_bounce_and_the_connection_goes_on(server: SmtpServer) -> None:
    server.recorder.faults.unknown_users = {"gone@example.org"}
    with transport_for(server) as transport:
        with pytest.raises(PermanentFailure) as failure:
            transport.send("news@example.org", "gone@example.org", MESSAGE)
        assert failure.value.user_unknown
        assert failure.value.code == 550
        assert str(failure.value) == (
            "RCPT TO: 550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown"
        )
        assert transport.is_open
        transport.send("news@example.org", "reader@example.org", MESSAGE)
    assert [r.recipient for r in server.recorder.received] == ["reader@example.org"]


@pytest.mark.parametrize(
    ("code", "text", "bounced"),
    [
        (550, "5.1.1 User unknown", True),
        (550, "5.2.1 Mailbox disabled for this recipient", True),
        (550, "No such user here", True),
        (553, "sorry, that domain isn't in my list of allowed rcpthosts", False),
        (552, "5.2.2 Mailbox full", False),
        (554, "5.7.1 Message rejected as spam", False),
        (550, "5.7.1 Service unavailable; client host blocked", False),
    ],
)
def test_which_refusals_count_as_bounces(code: int, text: str, bounced: bool) -> None:
    assert PermanentFailure(f"RCPT TO: {code} {text}", code).user_unknown is bounced


def test_451_is_temporary_and_the_next_attempt_is_accepted(server: SmtpServer) -> None:
    server.recorder.faults.temporary = 1
    with transport_for(server) as transport:
        with pytest.raises(TemporaryFailure, match=r"^end of DATA: 451 4\.3\.0 Temporary local problem"):
            transport.send("news@example.org", "reader@example.org", MESSAGE)
        transport.send("news@example.org", "reader@example.org", MESSAGE)
    assert server.recorder.copies() == {"reader@example.org": 1}


def test_421_closes_and_the_next_send_reconnects(server: SmtpServer) -> None:
    server.recorder.faults.closing = 1
    with transport_for(server) as transport:
        with pytest.raises(TemporaryFailure, match=r"^MAIL FROM: 421"):
            transport.send("news@example.org", "reader@example.org", MESSAGE)
        assert not transport.is_open
        transport.send("news@example.org", "reader@example.org", MESSAGE)
        assert transport.sent_on_connection == 1
    assert server.recorder.copies() == {"reader@example.org": 1}


def test_a_connection_cut_in_the_middle_of_data_delivers_nothing_and_is_temporary(server: SmtpServer) -> None:
    server.recorder.faults.drop_in_data = 1
    big = MESSAGE + b"x" * 70 + b"\r\n" * 2000
    with transport_for(server) as transport:
        with pytest.raises(TemporaryFailure, match=rf"^connection to 127\.0\.0\.1:{server.port} lost"):
            transport.send("news@example.org", "reader@example.org", big)
        assert server.recorder.received == []
        transport.send("news@example.org", "reader@example.org", big)
    assert server.recorder.copies() == {"reader@example.org": 1}


def test_a_restarted_server_is_reached_again(server: SmtpServer) -> None:
    transport = transport_for(server)
    transport.send("news@example.org", "a@example.org", MESSAGE)
    server = server.restarted()
    try:
        with pytest.raises(TemporaryFailure):  # the old connection is gone
            transport.send("news@example.org", "b@example.org", MESSAGE)
        transport.send("news@example.org", "b@example.org", MESSAGE)
    finally:
        transport.close()
        server.stop()
    assert server.recorder.copies() == {"a@example.org": 1, "b@example.org": 1}


def test_no_server_is_temporary() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    transport = SmtpTransport(SmtpSettings("127.0.0.1", port, "none", timeout=5))
    with pytest.raises(
        TemporaryFailure, match=rf"^cannot connect to 127\.0\.0\.1:{port}: Connection refused$"
    ):
        transport.send("news@example.org", "reader@example.org", MESSAGE)


def test_a_refused_sender_stops_everything(server: SmtpServer) -> None:
    server.recorder.faults.refuse_sender = True
    with transport_for(server) as transport, pytest.raises(FatalFailure) as failure:
        transport.send("news@example.org", "reader@example.org", MESSAGE)
    assert str(failure.value) == "the server refused the sender address: 550 5.7.1 Sender address rejected"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_refused_login_is_fatal() -> None:
    def authenticator(*_: object) -> AuthResult:
        return AuthResult(success=False, handled=False)

    server = SmtpServer(auth_required=True, auth_require_tls=False, authenticator=authenticator)
    server.start()
    try:
        transport = transport_for(server, username="news", password="wrong")
        with pytest.raises(FatalFailure) as failure:
            transport.send("news@example.org", "reader@example.org", MESSAGE)
    finally:
        server.stop()
    assert str(failure.value) == (
        f"127.0.0.1:{server.port} refused the login for 'news': 535 5.7.8 Authentication credentials invalid"
    )


def test_starttls_that_the_server_does_not_offer_is_fatal(server: SmtpServer) -> None:
    transport = transport_for(server, security="starttls")
    with pytest.raises(FatalFailure) as failure:
        transport.send("news@example.org", "reader@example.org", MESSAGE)
    assert str(failure.value) == (
        f"127.0.0.1:{server.port} does not offer STARTTLS: use smtps:// for a TLS port such as 465, "
        "or add ?starttls=off for a relay on this machine"
    )


def test_tls_to_a_plain_server_is_fatal(server: SmtpServer) -> None:
    transport = transport_for(server, security="ssl")
    with pytest.raises(FatalFailure, match=rf"^TLS with 127\.0\.0\.1:{server.port} failed: .*WRONG_VERSION"):
        transport.send("news@example.org", "reader@example.org", MESSAGE)


def test_no_password_over_plain_text_to_another_machine() -> None:
    transport = SmtpTransport(SmtpSettings("192.0.2.1", 25, "none", "news", "secret", timeout=0.5))
    with pytest.raises(FatalFailure) as failure:
        transport.open()
    assert str(failure.value) == "refusing to send the SMTP password to 192.0.2.1:25 without TLS"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", ("mail.example.org", 587, "starttls", None)),
        ("smtps://apikey@smtp.example.org", ("smtp.example.org", 465, "ssl", "apikey")),
        (
            "smtp://user%40example.org@mail.example.org:2525",
            ("mail.example.org", 2525, "starttls", "user@example.org"),
        ),
        ("smtp://127.0.0.1:25?starttls=off", ("127.0.0.1", 25, "none", None)),
    ],
)
def test_smtp_urls(url: str, expected: tuple[str, int, str, str | None]) -> None:
    settings = SmtpSettings.from_url(url, password="pw")
    assert (settings.host, settings.port, settings.security, settings.username) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "http://mail.example.org",
            "http://mail.example.org: must be smtp://user@host:587 or smtps://user@host:465",
        ),
        (
            "smtp://mail.example.org:99999",
            "smtp://mail.example.org:99999: the port must be a number from 1 to 65535",
        ),
        (
            "smtps://m.example.org?starttls=off",
            "smtps://m.example.org?starttls=off: unknown option starttls=off (only starttls=off)",
        ),
        (
            "smtp://news@mail.example.org",
            "smtp://news@mail.example.org names the user 'news', but PUBLISHER_SMTP_PASSWORD is not set",
        ),
        (
            "smtp://u:hunter2@m.example.org/x",
            "smtp://u:***@m.example.org/x: nothing may follow the port but ?starttls=off",
        ),
    ],
)
def test_bad_smtp_urls_say_what_is_wrong_without_the_password(url: str, message: str) -> None:
    with pytest.raises(SmtpConfigError) as error:
        SmtpSettings.from_url(url)
    assert str(error.value) == message


def test_the_environment_overrides_the_setting_and_holds_the_password() -> None:
    environ = {"PUBLISHER_SMTP_URL": "smtps://ci@relay.example.org", "PUBLISHER_SMTP_PASSWORD": "s3cret"}
    settings = settings_from_environment("smtp://news@mail.example.org", environ=environ)
    assert (settings.host, settings.username, settings.password) == ("relay.example.org", "ci", "s3cret")
    assert "s3cret" not in repr(settings)
    settings = settings_from_environment("smtp://mail.example.org", environ={})
    assert settings.host == "mail.example.org"
    with pytest.raises(SmtpConfigError, match=r"^no SMTP server: set smtp_url in the \[delivery\] table"):
        settings_from_environment(None, environ={})


@pytest.mark.parametrize("pipelining", [True, False])
def test_with_and_without_pipelining_every_reply_is_read_in_order(
    server: SmtpServer, pipelining: bool
) -> None:
    server.recorder.pipelining = pipelining
    server.recorder.faults.unknown_users = {"gone@example.org"}
    server.recorder.faults.closing = 1
    with transport_for(server) as transport:
        transport.open()
        assert transport._smtp is not None and transport._smtp.has_extn("pipelining") is pipelining
        with pytest.raises(TemporaryFailure, match=r"^MAIL FROM: 421"):
            transport.send("news@example.org", "a@example.org", MESSAGE)
        with pytest.raises(PermanentFailure, match=r"^RCPT TO: 550 5\.1\.1"):
            transport.send("news@example.org", "gone@example.org", MESSAGE)
        for name in ("a", "b", "ünïcode"):
            transport.send("news@example.org", f"{name}@example.org", MESSAGE)
    assert [r.recipient for r in server.recorder.received] == [
        "a@example.org",
        "b@example.org",
        "ünïcode@example.org",
    ]


@pytest.mark.parametrize(
    ("message", "payload"),
    [
        (b"A: b\r\n\r\n.x\r\ny", b"A: b\r\n\r\n..x\r\ny\r\n.\r\n"),
        (b"A: b\n\n.x\ny\n", b"A: b\r\n\r\n..x\r\ny\r\n.\r\n"),
        (b"A: b\r\rx\n\r\n", b"A: b\r\n\r\nx\r\n\r\n.\r\n"),
        (b".A: b\r\n", b"..A: b\r\n.\r\n"),
    ],
)
def test_the_data_payload_has_crlf_line_ends_and_stuffed_dots(message: bytes, payload: bytes) -> None:
    from publisher.delivery.transport import _dot_stuffed

    assert _dot_stuffed(message) == payload
    if b"\n" not in message.replace(b"\r\n", b"") and b"\r" not in message.replace(b"\r\n", b""):
        assert _dot_stuffed(message, crlf=True) == payload
