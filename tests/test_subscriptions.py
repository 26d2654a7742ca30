"""The subscription service over HTTP: sign-up, confirmation, RFC 8058 one-click unsubscribe,
preferences, and what keeps it safe (CSRF, rate limits, honeypot, no enumeration, headers).

The app runs in-process (Starlette's TestClient) against a real SQLite file and sends its
confirmations through the real SMTP transport to aiosmtpd on 127.0.0.1.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from bs4 import BeautifulSoup
from conftest import Publication, run
from smtp_server import Faults, SmtpServer
from starlette.testclient import TestClient
from subscriptions_support import SECRET, WELCOME, configure, csrf_field, link_in, make_service, wait_for_mail

from publisher.subscribers.store import SubscriberStore
from publisher.subscribers.tokens import make_token
from publisher.subscriptions.app import Service, create_app
from publisher.subscriptions.ratelimit import Limits
from publisher.subscriptions.security import CONTENT_SECURITY_POLICY

SERVICE = "http://127.0.0.1:8025"
SITE = "https://civicledger.example"
FROM_SITE = {"Origin": SITE}
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> SmtpServer:
    """The module's SMTP server, emptied and without faults for each test."""
    with smtp_server.recorder.lock:
        smtp_server.recorder.received.clear()
        smtp_server.recorder.faults = Faults()
    return smtp_server


@pytest.fixture
def service(publication: Publication, smtp: SmtpServer) -> Service:
    configure(publication.root, SERVICE, smtp.url)
    return make_service(publication.root)


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    with TestClient(create_app(service), base_url=SERVICE, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def store(service: Service) -> SubscriberStore:
    return service.store


def sign_up(client: TestClient, email: str, **fields: object) -> object:
    data = {
        "email": email,
        "name": "",
        "section_choice": "1",
        "section": ["analyses", "playbooks", "insights"],
        **fields,
    }
    return client.post("/subscribe", data=data, headers=FROM_SITE)


def active(store: SubscriberStore, email: str, sections: list[str] | None = None) -> int:
    return store.add(email, status="active", sections=sections).id


def status(store: SubscriberStore, email: str) -> str:
    found = store.find(email)
    assert found is not None
    return found.status


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


# -- sign-up and confirmation


def test_sign_up_confirm_and_welcome(client: TestClient, smtp: SmtpServer, store: SubscriberStore) -> None:
    response = sign_up(client, "Reader@Example.org", name="Ada Reader", section=["analyses", "insights"])
    assert response.status_code == 200
    assert "Check your inbox" in BeautifulSoup(response.text, "lxml").h1.get_text()
    assert status(store, "reader@example.org") == "pending"

    [received] = wait_for_mail(smtp, 1)
    message = received.message()
    assert received.recipient == "Reader@example.org"
    assert message["Subject"] == "Confirm your subscription to The Civic Ledger"
    assert message["From"] == "The Civic Ledger <newsletter@civicledger.example>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert "Ada Reader" not in text_of(message)  # what a form poster typed is never mailed
    link = link_in(received, "confirm")
    assert link.startswith(f"{SERVICE}/confirm/")

    page = client.get(link)  # a link scanner fetching the link confirms nothing
    assert page.status_code == 200
    assert status(store, "reader@example.org") == "pending"
    welcome = client.post(link, data={"csrf": csrf_field(page.text)}, headers={"Origin": SERVICE})
    assert welcome.status_code == 200
    assert WELCOME in welcome.text
    found = store.find("reader@example.org")
    assert found is not None and found.status == "active" and found.name == "Ada Reader"
    assert found.sections == ("analyses", "insights") and found.confirmed_at is not None
    again = client.post(link, data={"csrf": csrf_field(page.text)})  # confirming twice is harmless
    assert again.status_code == 200 and WELCOME in again.text


def test_every_section_ticked_means_all_sections(
    client: TestClient, smtp: SmtpServer, store: SubscriberStore
) -> None:
    sign_up(client, "all@example.org")
    found = store.find("all@example.org")
    assert found is not None and found.sections is None  # also the sections added later


def test_same_answer_for_known_and_unknown_addresses(
    client: TestClient, service: Service, smtp: SmtpServer, store: SubscriberStore
) -> None:
    """New, pending, active, unsubscribed and bounced addresses all get the same page, and the
    email goes out after the answer, from the outbox thread: nothing in the request waits for SMTP."""
    active(store, "known@example.org")
    store.add("gone@example.org", status="unsubscribed")
    store.add("bounced@example.org", status="bounced")
    smtp.recorder.faults.delay = 2.0  # a slow server: the answers must not wait for it
    answers = []
    for email in ("new@example.org", "known@example.org", "gone@example.org", "bounced@example.org"):
        client.cookies.clear()
        response = sign_up(client, email)
        answers.append((response.status_code, response.text))
        assert smtp.recorder.received == []  # answered before any email was accepted
    smtp.recorder.faults.delay = 0.0
    assert len(set(answers)) == 1 and answers[0][0] == 200
    service.outbox.join()
    received = {r.recipient: r.message() for r in smtp.recorder.received}
    assert set(received) == {"new@example.org", "known@example.org", "gone@example.org"}
    assert "Confirm" in received["new@example.org"]["Subject"]
    assert "already subscribed" in received["known@example.org"]["Subject"]
    assert "/preferences/" in text_of(received["known@example.org"])
    assert "Confirm" in received["gone@example.org"]["Subject"]  # a returning reader confirms again
    assert status(store, "known@example.org") == "active"
    assert status(store, "bounced@example.org") == "bounced"


def test_at_most_one_email_per_address_per_hour(
    client: TestClient, service: Service, smtp: SmtpServer, store: SubscriberStore
) -> None:
    active(store, "confirmed@example.org", ["analyses"])
    for _ in range(4):
        assert sign_up(client, "confirmed@example.org").status_code == 200
        assert sign_up(client, "Pending@Example.org").status_code == 200
    service.outbox.join()
    assert smtp.recorder.copies() == {"confirmed@example.org": 1, "Pending@example.org": 1}
    found = store.find("confirmed@example.org")
    assert found is not None and found.sections == ("analyses",)  # a form cannot change them


def test_honeypot_answers_alike_and_does_nothing(
    client: TestClient, service: Service, smtp: SmtpServer, store: SubscriberStore
) -> None:
    real = sign_up(client, "person@example.org")
    bot = sign_up(client, "bot@example.org", website="https://spam.example")
    assert bot.status_code == real.status_code == 200 and bot.text == real.text
    service.outbox.join()
    assert store.find("bot@example.org") is None
    assert set(smtp.recorder.copies()) == {"person@example.org"}


def test_per_client_rate_limit(publication: Publication, smtp: SmtpServer) -> None:
    configure(publication.root, SERVICE, smtp.url)
    service = make_service(publication.root, Limits(per_client="3/minute"))
    with TestClient(create_app(service), base_url=SERVICE) as client:
        codes = [sign_up(client, f"r{n}@example.org").status_code for n in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        limited = sign_up(client, "r9@example.org")
        assert limited.headers["Retry-After"] == "60"
        assert service.store.find("r9@example.org") is None
        other = client.post(
            "/subscribe",
            data={"email": "r10@example.org"},
            headers={**FROM_SITE, "X-Forwarded-For": "10.1.1.1"},
        )
        assert other.status_code == 429  # a forwarded-for header from an untrusted client changes nothing
    service.outbox.join()
    assert len(smtp.recorder.received) == 3


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"email": ""}, "Enter your email address."),
        ({"email": "not-an-address"}, "That email address does not work: "),
        ({"email": "a@b@example.org"}, "That email address does not work: "),
        ({"email": "x" * 250 + "@example.org"}, "That email address is too long."),
        ({"email": "ok@example.org", "section": ["nope"]}, "That section does not exist."),
        ({"email": "ok@example.org", "section": []}, "Choose at least one section"),
        ({"email": "ok@example.org", "name": "Eve\x07"}, "The name contains characters that cannot be used."),
    ],
)
def test_bad_sign_ups_are_refused_with_a_reason(
    client: TestClient, store: SubscriberStore, fields: dict[str, object], problem: str
) -> None:
    data = {"section_choice": "1", "section": ["analyses"], **fields}
    response = client.post("/subscribe", data=data, headers=FROM_SITE)
    assert response.status_code == 400
    alert = BeautifulSoup(response.text, "lxml").select_one('[role="alert"]')
    assert alert is not None and alert.get_text().startswith(problem)
    assert store.count() == 0


def test_form_values_come_back_escaped(client: TestClient) -> None:
    response = client.post(
        "/subscribe",
        data={"email": '"><script>alert(1)</script>', "section": ["analyses"]},
        headers=FROM_SITE,
    )
    assert response.status_code == 400
    soup = BeautifulSoup(response.text, "lxml")
    assert soup.find("script") is None
    assert soup.select_one('input[name="email"]')["value"] == '"><script>alert(1)</script>'


def test_expired_or_forged_confirmation_links_do_nothing(
    client: TestClient, smtp: SmtpServer, store: SubscriberStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    pending = store.add("late@example.org", status="pending").id
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() - 8 * 86400)
    old = make_token(SECRET, "confirm", pending)
    monkeypatch.setattr(time, "time", real_time)
    fresh = make_token(SECRET, "confirm", pending)
    for token in (
        old,
        fresh[:-2] + ("AA" if not fresh.endswith("AA") else "BB"),
        make_token("x" * 32, "confirm", pending),
    ):
        page = client.get(f"/confirm/{token}")
        assert page.status_code == 400 and "This link does not work" in page.text
        assert client.post(f"/confirm/{token}", data={"csrf": "x"}).status_code == 400
    assert status(store, "late@example.org") == "pending"


def test_an_old_confirmation_link_does_not_bring_back_an_unsubscribed_reader(
    client: TestClient, store: SubscriberStore
) -> None:
    reader = store.add("left@example.org", status="pending").id
    link = f"/confirm/{make_token(SECRET, 'confirm', reader)}"
    store.set_status(reader, "unsubscribed")
    page = client.get(link)
    response = client.post(link, data={"csrf": csrf_field(page.text)})
    assert response.status_code == 400
    assert status(store, "left@example.org") == "unsubscribed"


# -- unsubscribe: RFC 8058


def unsubscribe_url(subscriber_id: int, purpose: str = "unsubscribe") -> str:
    return f"/unsubscribe/{make_token(SECRET, purpose, subscriber_id)}"


def test_one_click_post_unsubscribes_and_is_idempotent(client: TestClient, store: SubscriberStore) -> None:
    reader = active(store, "one@example.org")
    url = unsubscribe_url(reader)
    first = client.post(url, data=ONE_CLICK)  # as a mail provider sends it: no cookie, no origin
    assert first.status_code == 200
    assert "You are unsubscribed" in first.text
    found = store.get(reader)
    assert found is not None and found.status == "unsubscribed"
    replayed = client.post(url, data=ONE_CLICK)
    assert replayed.status_code == 200
    again = store.get(reader)
    assert again is not None and again.status == "unsubscribed"
    assert again.unsubscribed_at == found.unsubscribed_at
    assert store.count(status="active") == 0


def test_one_click_post_as_multipart(client: TestClient, store: SubscriberStore) -> None:
    reader = active(store, "multi@example.org")
    response = client.post(unsubscribe_url(reader), files={"List-Unsubscribe": (None, "One-Click")})
    assert response.status_code == 200
    assert status(store, "multi@example.org") == "unsubscribed"


@pytest.mark.parametrize(
    "body",
    [{"List-Unsubscribe": "one-click"}, {"List-Unsubscribe": "Yes"}, {"Unsubscribe": "One-Click"}, {}],
)
def test_one_click_post_with_a_wrong_body_changes_nothing(
    client: TestClient, store: SubscriberStore, body: dict[str, str]
) -> None:
    reader = active(store, "wrong@example.org")
    response = client.post(unsubscribe_url(reader), data=body)
    assert response.status_code == 403
    assert status(store, "wrong@example.org") == "active"


def tampered(token: str) -> str:
    """The token with its signature's first character changed. Not the last: base64's last
    character also carries padding bits, so changing it may decode to the same signature."""
    payload, signature = token.rsplit(".", 1)
    return f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


def test_forged_and_misused_tokens_unsubscribe_nobody(client: TestClient, store: SubscriberStore) -> None:
    reader = active(store, "victim@example.org")
    real = make_token(SECRET, "unsubscribe", reader)
    forged = [
        make_token("another-secret-of-enough-length", "unsubscribe", reader),
        make_token(SECRET, "preferences", reader),  # another purpose
        make_token(SECRET, "confirm", reader),
        tampered(real),
        real.split(".")[0],
        "garbage",
        "",
    ]
    for token in forged:
        response = client.post(f"/unsubscribe/{token}", data=ONE_CLICK)
        assert response.status_code in (400, 404), token
    assert status(store, "victim@example.org") == "active"
    assert (
        client.post(f"/unsubscribe/{make_token(SECRET, 'unsubscribe', 999)}", data=ONE_CLICK).status_code
        == 400
    )


def test_unsubscribe_links_never_expire(
    client: TestClient, store: SubscriberStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = active(store, "old@example.org")
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() - 5 * 365 * 86400)
    old = make_token(SECRET, "unsubscribe", reader)
    monkeypatch.setattr(time, "time", real_time)
    assert client.post(f"/unsubscribe/{old}", data=ONE_CLICK).status_code == 200
    assert status(store, "old@example.org") == "unsubscribed"


def test_get_never_unsubscribes(client: TestClient, store: SubscriberStore) -> None:
    reader = active(store, "scanned@example.org")
    url = unsubscribe_url(reader)
    for _ in range(3):
        assert client.get(url).status_code == 200
        assert client.head(url).status_code == 200
    assert status(store, "scanned@example.org") == "active"
    soup = BeautifulSoup(client.get(url).text, "lxml")
    [form] = soup.select("main form")
    assert form["method"] == "post" and form["action"] == SERVICE + url
    assert [b.get_text() for b in form.select("button")] == ["Unsubscribe"]


def test_the_button_unsubscribes(client: TestClient, store: SubscriberStore) -> None:
    reader = active(store, "button@example.org")
    url = unsubscribe_url(reader)
    page = client.get(url)
    response = client.post(url, data={"csrf": csrf_field(page.text)}, headers={"Origin": SERVICE})
    assert response.status_code == 200 and "You are unsubscribed" in response.text
    assert status(store, "button@example.org") == "unsubscribed"


# -- CSRF


def test_sign_up_from_another_site_is_refused(client: TestClient, store: SubscriberStore) -> None:
    for headers in (
        {"Origin": "https://evil.example"},
        {"Referer": "https://evil.example/page"},
        {},
        {"Origin": "null"},
    ):
        response = client.post(
            "/subscribe", data={"email": "csrf@example.org", "section": ["analyses"]}, headers=headers
        )
        assert response.status_code == 403, headers
    assert (
        client.post(
            "/subscribe", data={"email": "ok@example.org"}, headers={"Referer": f"{SITE}/p/a-post/"}
        ).status_code
        == 200
    )
    assert (
        client.post("/subscribe", data={"email": "ok2@example.org"}, headers={"Origin": SERVICE}).status_code
        == 200
    )
    assert store.find("csrf@example.org") is None


def test_service_forms_need_this_browsers_token(
    client: TestClient, store: SubscriberStore, service: Service
) -> None:
    reader = active(store, "prefs@example.org")
    url = f"/preferences/{make_token(SECRET, 'preferences', reader)}"
    page = client.get(url)
    token = csrf_field(page.text)
    save = {"action": "save", "section": ["analyses"]}
    assert client.post(url, data=save).status_code == 403  # no token
    assert client.post(url, data={**save, "csrf": "forged"}).status_code == 403
    other_browser = service.csrf.field_for(service.csrf.new_cookie())
    assert client.post(url, data={**save, "csrf": other_browser}).status_code == 403
    evil = client.post(url, data={**save, "csrf": token}, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403
    unsubscribe_button = client.post(unsubscribe_url(reader), data={"csrf": other_browser})
    assert unsubscribe_button.status_code == 403
    found = store.get(reader)
    assert found is not None and found.status == "active" and found.sections is None
    assert client.post(url, data={**save, "csrf": token}).status_code == 200


# -- preferences


def test_preferences_change_sections_and_unsubscribe_from_all(
    client: TestClient, store: SubscriberStore
) -> None:
    reader = active(store, "choosy@example.org")
    url = f"/preferences/{make_token(SECRET, 'preferences', reader)}"
    page = client.get(url)
    soup = BeautifulSoup(page.text, "lxml")
    boxes = soup.select('input[name="section"]')
    assert [b["value"] for b in boxes] == ["analyses", "playbooks", "insights"]
    assert all(b.has_attr("checked") for b in boxes)
    token = csrf_field(page.text)

    saved = client.post(url, data={"csrf": token, "action": "save", "section": ["playbooks", "insights"]})
    assert saved.status_code == 200 and "Saved." in saved.text
    ticked = [b["value"] for b in BeautifulSoup(saved.text, "lxml").select('input[name="section"][checked]')]
    assert ticked == ["playbooks", "insights"]
    found = store.get(reader)
    assert found is not None and found.sections == ("insights", "playbooks")

    none = client.post(url, data={"csrf": token, "action": "save"})
    assert none.status_code == 400
    found = store.get(reader)
    assert found is not None and found.sections == ("insights", "playbooks")

    gone = client.post(url, data={"csrf": token, "action": "unsubscribe", "section": ["analyses"]})
    assert gone.status_code == 200 and "You are unsubscribed" in gone.text
    assert status(store, "choosy@example.org") == "unsubscribed"
    after = BeautifulSoup(client.get(url).text, "lxml")
    assert after.select('input[name="section"]') == []
    assert "Subscribe again" in after.get_text()


# -- every page: headers, escaping, logs, limits


def test_every_page_has_the_security_headers(client: TestClient, store: SubscriberStore) -> None:
    reader = active(store, "headers@example.org")
    paths = [
        "/subscribe",
        unsubscribe_url(reader),
        f"/preferences/{make_token(SECRET, 'preferences', reader)}",
        f"/confirm/{make_token(SECRET, 'confirm', reader)}",
        "/unsubscribe/forged",
        "/nothing-here",
    ]
    for path in paths:
        response = client.get(path)
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "server" not in response.headers
    assert client.get("/nothing-here").status_code == 404
    assert client.put("/subscribe").status_code == 405
    css = client.get("/static/style.css")
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert ".subscribe-form" in css.text


def test_csrf_cookie_is_http_only_and_strict(client: TestClient) -> None:
    cookie = client.get("/subscribe").headers["set-cookie"]
    assert re.match(r"publisher_csrf=[\w-]{40,};", cookie)
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie


def test_oversized_bodies_are_refused(client: TestClient, store: SubscriberStore) -> None:
    response = client.post(
        "/subscribe",
        content=b"email=" + b"a" * 100_000,
        headers={**FROM_SITE, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert store.count() == 0


def test_logs_name_no_address_and_no_token(
    client: TestClient, service: Service, store: SubscriberStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="publisher")
    reader = active(store, "private@example.org")
    unsubscribe = make_token(SECRET, "unsubscribe", reader)
    sign_up(client, "secretive@example.org")
    sign_up(client, "private@example.org")
    client.get(f"/unsubscribe/{unsubscribe}")
    client.post(f"/unsubscribe/{unsubscribe}", data=ONE_CLICK)
    service.outbox.join()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "POST /unsubscribe/… 200" in logged
    assert f"subscriber {reader} unsubscribed (one-click)" in logged
    for secret in ("secretive@example.org", "private@example.org", unsubscribe, SECRET):
        assert secret not in logged


# -- the command


def test_serve_refuses_to_start_without_a_secret(
    publication: Publication, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(publication.root, SERVICE, "smtp://127.0.0.1:1?starttls=off")
    monkeypatch.delenv("PUBLISHER_SECRET", raising=False)
    result = run("subscriptions", "serve", "--root", str(publication.root), "--port", "0")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: PUBLISHER_SECRET is not set: set it to a long random value, e.g. the output of "
        "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`, and keep it: "
        "links in emails already sent stop working when it changes"
    ]


def test_serve_needs_the_subscriptions_table(
    publication: Publication, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLISHER_SECRET", SECRET)
    result = run("subscriptions", "serve", "--root", str(publication.root))
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: publication.toml has no [subscriptions] table: add url = the service's public address, "
        'e.g. [subscriptions] url = "https://subscribe.example.org"\n'
    )


def test_serve_needs_an_smtp_server(publication: Publication, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = publication.root / "publication.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8") + f'\n[subscriptions]\nurl = "{SERVICE}"\n', encoding="utf-8"
    )
    monkeypatch.setenv("PUBLISHER_SECRET", SECRET)
    monkeypatch.delenv("PUBLISHER_SMTP_URL", raising=False)
    result = run("subscriptions", "serve", "--root", str(publication.root))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: confirmation emails cannot be sent: no SMTP server: ")


def test_serve_reports_a_broken_template_instead_of_failing_later(
    publication: Publication, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(publication.root, SERVICE, "smtp://127.0.0.1:1?starttls=off")
    publication.write("templates/subscriptions/welcome.html", "<p>{{ welcome }</p>\n")
    publication.write("templates/subscriptions/unsubscribed.html", "<p>{{ nothing.here }}</p>\n")
    monkeypatch.setenv("PUBLISHER_SECRET", SECRET)
    result = run("subscriptions", "serve", "--root", str(publication.root))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("templates/subscriptions/unsubscribed.html:1: template: UndefinedError: ")
    assert lines[1].startswith("templates/subscriptions/welcome.html:1: template: TemplateSyntaxError: ")
    assert lines[2:] == ["Error: cannot start the subscription service; fix the errors above first."]


def test_the_default_templates_render(service: Service) -> None:
    assert service.template_errors() == []


def test_a_title_that_cannot_be_a_subject_is_reported(publication: Publication, smtp: SmtpServer) -> None:
    configure(publication.root, SERVICE, smtp.url)
    toml = publication.root / "publication.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            'title = "The Civic Ledger"', 'title = "The Civic\\nLedger"'
        ),
        encoding="utf-8",
    )
    service = make_service(publication.root)
    [error] = service.template_errors()
    assert str(error).startswith("publication.toml:1: title: cannot be an email subject: ")
    service.store.close()


def test_any_sign_up_form_gets_a_page_never_an_error(publication: Publication, smtp: SmtpServer) -> None:
    """Whatever a bot or a person posts: 200 (stored, or honeypot) or 400 (told why), never a 500;
    and only an address email-validator accepts is ever stored."""
    from email_validator import EmailNotValidError, validate_email
    from hypothesis import given, settings
    from hypothesis import strategies as st

    configure(publication.root, SERVICE, smtp.url)
    service = make_service(publication.root, Limits(per_client="100000/minute", per_address="100000/hour"))
    texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)
    emails = st.one_of(texts, st.emails().map(str), st.builds(lambda a, b: f"{a}@{b}", texts, texts))
    sections = st.lists(
        st.sampled_from(["analyses", "playbooks", "insights", "nope", "", "../x"]), max_size=4
    )

    with TestClient(create_app(service), base_url=SERVICE) as client:

        @settings(max_examples=40, deadline=None)
        @given(
            email=emails, name=texts, section=sections, choice=st.booleans(), trap=st.sampled_from(["", "x"])
        )
        def post(email: str, name: str, section: list[str], choice: bool, trap: str) -> None:
            data: dict[str, object] = {"email": email, "name": name, "section": section, "website": trap}
            if choice:
                data["section_choice"] = "1"
            before = service.store.count()
            response = client.post("/subscribe", data=data, headers=FROM_SITE)
            assert response.status_code in (200, 400), response.text
            assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
            stored = service.store.count() - before
            if response.status_code == 400 or trap:
                assert stored == 0
            if stored:
                try:
                    validate_email(email.strip(), check_deliverability=False)
                except EmailNotValidError:
                    pytest.fail(f"stored an invalid address: {email!r}")

        post()


def test_behind_a_proxy_that_strips_a_path_links_use_the_public_address(
    publication: Publication, smtp: SmtpServer
) -> None:
    configure(publication.root, f"{SERVICE}/subscriptions", smtp.url)
    service = make_service(publication.root)
    reader = service.store.add("proxied@example.org", status="active").id
    with TestClient(create_app(service), base_url=SERVICE) as client:
        path = f"/unsubscribe/{make_token(SECRET, 'unsubscribe', reader)}"
        soup = BeautifulSoup(client.get(path).text, "lxml")
        assert soup.select_one("main form")["action"] == f"{SERVICE}/subscriptions{path}"
        assert (
            soup.select_one('link[rel="stylesheet"]')["href"] == f"{SERVICE}/subscriptions/static/style.css"
        )
        preferences = soup.select_one('main a[href*="/preferences/"]')["href"]
        assert preferences.startswith(f"{SERVICE}/subscriptions/preferences/")
