"""The subscription service as a Starlette application: routes, pages and who may do what.

Every database call goes through one writer thread (as Datasette does), so concurrent requests
never contend for SQLite's write lock inside this process; the event loop only parses, checks
and renders. Pages are Jinja templates from the publication's `templates/subscriptions/` (or
the defaults), autoescaped, with a strict Content-Security-Policy.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from jinja2 import Environment, TemplateError
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from publisher.content.config import Publication
from publisher.errors import ContentError
from publisher.paths import STATIC_DIR, template_dirs
from publisher.render.site import make_environment
from publisher.render.template_errors import template_error
from publisher.subscribers.addresses import InvalidAddress, normalise
from publisher.subscribers.store import SubscriberStore
from publisher.subscribers.tokens import CONFIRM_MAX_AGE, BadToken, make_token, read_token
from publisher.subscriptions import actions
from publisher.subscriptions.mail import Outbox, Outgoing, compose
from publisher.subscriptions.middleware import AccessLog, BodyLimit
from publisher.subscriptions.ratelimit import Limits, RateLimiter
from publisher.subscriptions.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    HONEYPOT_FIELD,
    SECURITY_HEADERS,
    Csrf,
    origin_of,
    same_origin,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

PAGES = [
    "subscribe.html",
    "check_inbox.html",
    "confirm.html",
    "welcome.html",
    "unsubscribe.html",
    "unsubscribed.html",
    "preferences.html",
    "message.html",
]
EMAILS = ["confirm_email.txt", "already_email.txt"]
ONE_CLICK = ("List-Unsubscribe", "One-Click")  # RFC 8058's body: List-Unsubscribe=One-Click
MAX_NAME = 200

FONT_NAME = re.compile(r"[a-z0-9][a-z0-9.-]*\.woff2")  # a file name, never a path


@dataclass
class Service:
    """Everything the routes share: settings, the store, the outbox, the limits."""

    publication: Publication
    root: Path
    secret: str
    store: SubscriberStore
    outbox: Outbox
    limits: Limits = field(default_factory=Limits)
    confirm_days: int = CONFIRM_MAX_AGE // 86400

    def __post_init__(self) -> None:
        assert self.publication.subscriptions is not None
        self.url = self.publication.subscriptions.url
        self.env: Environment = make_environment(self.root)
        self.csrf = Csrf(self.secret)
        self.limiter = RateLimiter(self.limits)
        self.allowed_origins = frozenset({origin_of(self.publication.base_url), origin_of(self.url)})
        self.secure_cookie = self.url.startswith("https://")
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="publisher-db")

    @property
    def welcome(self) -> str:
        assert self.publication.subscriptions is not None
        return self.publication.subscriptions.welcome

    async def db(self, function: Callable[..., T], *args: Any) -> T:
        """Run `function(store, *args)` on the writer thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.writer, function, self.store, *args)

    def link(self, purpose: str, subscriber_id: int) -> str:
        return f"{self.url}/{purpose}/{make_token(self.secret, purpose, subscriber_id)}"

    def subscriber_id(self, purpose: str, token: str) -> int | None:
        max_age = self.confirm_days * 86400 if purpose == "confirm" else None
        try:
            return read_token(self.secret, purpose, token, max_age)
        except BadToken:
            return None

    def template_errors(self) -> list[ContentError]:
        """Render every page and email once with sample values: a broken template of the
        publication's is reported at start-up as `path:line: template: message`, not as a 500."""
        sample = {
            "form_values": {},
            "form_error": None,
            "welcome": self.welcome,
            "preferences_url": f"{self.url}/preferences/sample",
            "active": True,
            "chosen": [s.folder for s in self.publication.sections],
            "saved": False,
            "heading": "Sample",
            "text": "Sample",
            "link": None,
            "link_text": "",
            "confirm_url": f"{self.url}/confirm/sample",
        }
        common = {"publication": self.publication, "service_url": self.url, "confirm_days": self.confirm_days}
        errors = []
        for template in PAGES + EMAILS:
            try:
                self.env.get_template(f"subscriptions/{template}").render(
                    **common, csrf="sample", action="/sample", **sample
                )
            except TemplateError as exc:
                errors.append(template_error(exc, self.root))
        if not errors:
            try:
                compose(
                    self.env,
                    self.publication,
                    "subscriptions/confirm_email.txt",
                    "a@example.org",
                    f"Confirm your subscription to {self.publication.title}",
                    confirm_url=f"{self.url}/confirm/sample",
                    confirm_days=self.confirm_days,
                )
            except ValueError as exc:  # a header the email library refuses, e.g. a title on two lines
                errors.append(
                    ContentError("publication.toml", 1, "title", f"cannot be an email subject: {exc}")
                )
        return errors

    # -- pages

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        """A page with the security headers; forms get this browser's CSRF token."""
        cookie = request.cookies.get(CSRF_COOKIE)
        new_cookie = None
        if not cookie or len(cookie) > 100:
            cookie = new_cookie = Csrf.new_cookie()
        html = self.env.get_template(template).render(
            publication=self.publication,
            service_url=self.url,
            confirm_days=self.confirm_days,
            csrf=self.csrf.field_for(cookie),
            action=self.url
            + request.url.path,  # the public address, also behind a proxy that strips a prefix
            **context,
        )
        response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
        if new_cookie:
            response.set_cookie(
                CSRF_COOKIE,
                new_cookie,
                httponly=True,
                samesite="strict",
                secure=self.secure_cookie,
                path="/",
            )
        return response

    def message(self, request: Request, status: int, heading: str, text: str, **extra: Any) -> HTMLResponse:
        context = {"link": None, "link_text": "", **extra}
        return self.page(request, "subscriptions/message.html", status, heading=heading, text=text, **context)

    def bad_link(self, request: Request) -> HTMLResponse:
        return self.message(
            request,
            400,
            "This link does not work",
            "It may have been copied incompletely, or, for a confirmation link, it is more than "
            f"{self.confirm_days} days old.",
            link=f"{self.url}/subscribe",
            link_text="Subscribe again",
        )

    def forbidden(self, request: Request) -> HTMLResponse:
        return self.message(
            request,
            403,
            "Please try again",
            "This form expired or was sent from another site. Go back, reload the page and send it again.",
        )

    def csrf_ok(self, request: Request, form: FormData) -> bool:
        origin, referer = request.headers.get("origin"), request.headers.get("referer")
        if (origin or referer) and not same_origin(origin, referer, self.allowed_origins):
            return False
        value = form.get(CSRF_FIELD)
        return self.csrf.valid(request.cookies.get(CSRF_COOKIE), value if isinstance(value, str) else None)


def create_app(service: Service) -> Starlette:
    """The ASGI application for `service`."""

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        service.outbox.start()
        try:
            yield
        finally:
            service.outbox.stop()
            service.writer.shutdown(wait=True)

    async def subscribe_page(request: Request) -> Response:
        return service.page(request, "subscriptions/subscribe.html", form_values={}, form_error=None)

    async def subscribe(request: Request) -> Response:
        origin, referer = request.headers.get("origin"), request.headers.get("referer")
        if not same_origin(origin, referer, service.allowed_origins):
            return service.forbidden(request)
        form = await request.form()
        client = request.client.host if request.client else "unknown"
        if not service.limiter.client_allowed(client):
            response = service.message(
                request,
                429,
                "Too many sign-ups",
                "Too many sign-ups came from your network. Try again in a minute.",
            )
            response.headers["Retry-After"] = "60"
            return response
        if _text(form, HONEYPOT_FIELD):
            log.info("sign-up with the honeypot field filled: ignored")
            return service.page(request, "subscriptions/check_inbox.html")
        problem, email, name, sections = _sign_up_fields(form, service.publication)
        if problem:
            values = {"email": _text(form, "email")[:254], "name": _text(form, "name")[:MAX_NAME]}
            return service.page(
                request, "subscriptions/subscribe.html", 400, form_values=values, form_error=problem
            )
        assert email is not None
        outcome = await service.db(actions.sign_up, email, name, sections)
        if outcome.mail is not actions.Mail.NONE and outcome.subscriber_id is not None:
            _queue_mail(service, outcome)
        return service.page(request, "subscriptions/check_inbox.html")

    async def confirm_page(request: Request) -> Response:
        if service.subscriber_id("confirm", request.path_params["token"]) is None:
            return service.bad_link(request)
        return service.page(request, "subscriptions/confirm.html")

    async def confirm(request: Request) -> Response:
        subscriber_id = service.subscriber_id("confirm", request.path_params["token"])
        if subscriber_id is None:
            return service.bad_link(request)
        if not service.csrf_ok(request, await request.form()):
            return service.forbidden(request)
        found = await service.db(actions.confirm, subscriber_id)
        if found is None:
            return service.bad_link(request)
        log.info("subscriber %d confirmed", subscriber_id)
        return service.page(
            request,
            "subscriptions/welcome.html",
            welcome=service.welcome,
            preferences_url=service.link("preferences", subscriber_id),
        )

    async def unsubscribe_page(request: Request) -> Response:
        subscriber_id = service.subscriber_id("unsubscribe", request.path_params["token"])
        if subscriber_id is None:
            return service.bad_link(request)
        return service.page(
            request,
            "subscriptions/unsubscribe.html",
            preferences_url=service.link("preferences", subscriber_id),
        )

    async def unsubscribe(request: Request) -> Response:
        subscriber_id = service.subscriber_id("unsubscribe", request.path_params["token"])
        if subscriber_id is None:
            return service.bad_link(request)
        form = await request.form()
        one_click = form.get(ONE_CLICK[0]) == ONE_CLICK[1]
        if not one_click and not service.csrf_ok(request, form):
            return service.forbidden(request)
        if not await service.db(actions.unsubscribe, subscriber_id):
            return service.bad_link(request)
        log.info("subscriber %d unsubscribed%s", subscriber_id, " (one-click)" if one_click else "")
        return service.page(request, "subscriptions/unsubscribed.html")

    async def preferences_page(request: Request) -> Response:
        subscriber_id = service.subscriber_id("preferences", request.path_params["token"])
        if subscriber_id is None:
            return service.bad_link(request)
        found = await service.db(actions.lookup, subscriber_id)
        if found is None:
            return service.bad_link(request)
        return _preferences(request, found)

    def _preferences(request: Request, found: Any, saved: bool = False, status: int = 200) -> Response:
        chosen = (
            found.sections if found.sections is not None else [s.folder for s in service.publication.sections]
        )
        return service.page(
            request,
            "subscriptions/preferences.html",
            status,
            active=found.status == "active",
            chosen=chosen,
            saved=saved,
            form_error=None,
        )

    async def preferences(request: Request) -> Response:
        subscriber_id = service.subscriber_id("preferences", request.path_params["token"])
        if subscriber_id is None:
            return service.bad_link(request)
        form = await request.form()
        if not service.csrf_ok(request, form):
            return service.forbidden(request)
        if _text(form, "action") == "unsubscribe":
            if not await service.db(actions.unsubscribe, subscriber_id):
                return service.bad_link(request)
            log.info("subscriber %d unsubscribed (preferences)", subscriber_id)
            return service.page(request, "subscriptions/unsubscribed.html")
        problem, sections = _sections(form, service.publication, shown=True)
        found = await service.db(actions.lookup, subscriber_id)
        if found is None:
            return service.bad_link(request)
        if problem:
            return service.message(
                request,
                400,
                "Choose at least one section",
                problem,
                link=service.url + request.url.path,
                link_text="Back to your preferences",
            )
        if await service.db(actions.choose_sections, subscriber_id, sections):
            found = await service.db(actions.lookup, subscriber_id)
            log.info("subscriber %d changed sections", subscriber_id)
            return _preferences(request, found, saved=True)
        return _preferences(request, found)

    async def stylesheet(_: Request) -> Response:
        for folder in template_dirs(service.root):
            path = folder / STATIC_DIR / "style.css"
            if path.is_file():
                return FileResponse(
                    path, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"}
                )
        raise HTTPException(404)

    async def font(request: Request) -> Response:
        """The site's self-hosted fonts, which the stylesheet loads from `static/fonts/`."""
        name = request.path_params["name"]
        if FONT_NAME.fullmatch(name):
            for folder in template_dirs(service.root):
                path = folder / STATIC_DIR / "fonts" / name
                if path.is_file():
                    return FileResponse(
                        path, media_type="font/woff2", headers={"Cache-Control": "public, max-age=86400"}
                    )
        raise HTTPException(404)

    async def health(_: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def not_found(request: Request, _: Exception) -> Response:
        return service.message(request, 404, "Page not found", "There is no page at this address.")

    async def not_allowed(request: Request, _: Exception) -> Response:
        response = service.message(
            request, 405, "Not allowed", "This page does not accept that kind of request."
        )
        return response

    routes = [
        Route("/subscribe", subscribe_page, methods=["GET"]),
        Route("/subscribe", subscribe, methods=["POST"]),
        Route("/confirm/{token}", confirm_page, methods=["GET"]),
        Route("/confirm/{token}", confirm, methods=["POST"]),
        Route("/unsubscribe/{token}", unsubscribe_page, methods=["GET"]),
        Route("/unsubscribe/{token}", unsubscribe, methods=["POST"]),
        Route("/preferences/{token}", preferences_page, methods=["GET"]),
        Route("/preferences/{token}", preferences, methods=["POST"]),
        Route("/static/style.css", stylesheet, methods=["GET"]),
        Route("/static/fonts/{name}", font, methods=["GET"]),
        Route("/healthz", health, methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: not_found, 405: not_allowed})
    app.add_middleware(BodyLimit)
    app.add_middleware(AccessLog)
    return app


def _queue_mail(service: Service, outcome: actions.SignUp) -> None:
    """Put the sign-up's email in the outbox, unless this address had one within the hour.

    Nothing a form poster typed (the name) goes into the email: a sign-up form that mails
    arbitrary text to arbitrary addresses is a spam relay.
    """
    assert outcome.subscriber_id is not None and outcome.email is not None
    if not service.limiter.address_allowed(outcome.email):
        log.info(
            "sign-up for subscriber %d: an email went out within the hour; none sent", outcome.subscriber_id
        )
        return
    title = service.publication.title
    if outcome.mail is actions.Mail.CONFIRM:
        message = compose(
            service.env,
            service.publication,
            "subscriptions/confirm_email.txt",
            outcome.email,
            f"Confirm your subscription to {title}",
            confirm_url=service.link("confirm", outcome.subscriber_id),
            confirm_days=service.confirm_days,
        )
    else:
        message = compose(
            service.env,
            service.publication,
            "subscriptions/already_email.txt",
            outcome.email,
            f"You are already subscribed to {title}",
            preferences_url=service.link("preferences", outcome.subscriber_id),
        )
    service.outbox.put(Outgoing(outcome.subscriber_id, outcome.mail.value, message))


def _text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def _sign_up_fields(
    form: FormData, publication: Publication
) -> tuple[str | None, str | None, str | None, tuple[str, ...] | None]:
    """(problem, email, name, sections) from the sign-up form; a problem is for the reader."""
    raw = _text(form, "email")
    if not raw:
        return "Enter your email address.", None, None, None
    if len(raw) > 254:
        return "That email address is too long.", None, None, None
    try:
        email = normalise(raw)
    except InvalidAddress as exc:
        return f"That email address does not work: {exc}", None, None, None
    name = " ".join(_text(form, "name").split())[:MAX_NAME] or None
    if name and any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "The name contains characters that cannot be used.", None, None, None
    problem, sections = _sections(form, publication, shown="section_choice" in form)
    return problem, email, name, sections


def _sections(
    form: FormData, publication: Publication, shown: bool
) -> tuple[str | None, tuple[str, ...] | None]:
    """The ticked sections; None for all of them (and those added later)."""
    known = [s.folder for s in publication.sections]
    ticked = [v for v in form.getlist("section") if isinstance(v, str)]
    if not shown and not ticked:
        return None, None
    unknown = sorted(set(ticked) - set(known))
    if unknown:
        return "That section does not exist.", None
    if not ticked:
        return "Choose at least one section, or use “Unsubscribe from all”.", None
    if set(ticked) == set(known):
        return None, None
    return None, tuple(sorted(set(ticked)))
