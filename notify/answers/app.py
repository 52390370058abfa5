"""The answer page and the shop's API: an ASGI application (Starlette).

``create_app(catalogue, ledger_url=..., answer_url=..., secret=..., api_key=...)``
returns the application; ``policyctl answers serve`` runs it under uvicorn, and a shop
can mount it in its own Python application (see docs/operators.md, "Users' answers").

Routes (``<path>`` is the path of ``answer_url``):

- ``GET <path>``: without a token, how to answer (the personal link in the notice, or
  the shop's account page); with ``?token=T``, the revision the token names and a form
  to accept or object, in the recipient's language (see ``AnswerApp._language``: on a
  site with several languages, the one matching the token's locale, else the source
  language, with the title, summary and links of that language's pages; with one
  language, the page's words in the recipient's locale among the catalogues). The
  page's words come from the gettext catalogues (:mod:`notify.common.i18n`), its dates
  from Babel, and ``<html>`` carries their ``lang`` and, right to left, ``dir="rtl"``.
- ``POST <path>`` (form fields ``token``, ``answer``): records the answer and answers
  with the page, which confirms what follows (no redirect: none ever carries a token).
- ``GET <path>/<code>`` (``/<code>`` when the path is ``/``): the short link of a text
  message (:mod:`notify.common.shortlinks`): the page of the token the code stands for,
  exactly as ``GET <path>?token=<token>``; ``POST <path>/<code>``: that page's form, as
  ``POST <path>`` (its token must be the code's). A code not saved is 404; a client that
  tried `notify.answers.guesses.LIMIT` of those in the window is refused every short link
  with 429 and ``Retry-After`` until the window frees.
- ``POST /api/answers`` (JSON, ``Authorization: Bearer <POLICYCTL_ANSWER_API_KEY>``).
- ``GET /api/applies?user=ID&document=D[&as_of=WHEN]`` (the same key).

Every other path is 404, a trailing slash included (no redirect, which would be built
from the request's Host header). A missing, forged, expired or foreign token, an unknown
document or version, a malformed body or instant, a body over its limit: 4xx (pages in
the reader's language), and nothing is recorded; 503 only when the database cannot be
reached. The token itself is the form's CSRF token (only its recipient has it); as a
second line of defence a POST that a browser says comes from another site
(``Sec-Fetch-Site``, else ``Origin``) is refused with 403. Every response is sent with
``Cache-Control: no-store`` and ``Referrer-Policy: no-referrer`` (the token stays out of
caches and other sites' logs); pages also with a strict Content-Security-Policy and no
framing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jinja2
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from notify.answers.guesses import Guesses
from notify.answers.rule import (
    ANSWERS,
    OBJECT,
    Answer,
    Catalogue,
    DocumentFacts,
    VersionFacts,
    answer_problem,
    governing,
    user_problem,
)
from notify.answers.serialise import governing_json
from notify.answers.store import AnswerBook
from notify.common.dates import format_date, parse_offset_instant
from notify.common.errors import NotifyError
from notify.common.i18n import Catalogues, Words, environment
from notify.common.resources import SITE_TEMPLATES
from notify.common.sandbox import FolderLoader
from notify.common.shortlinks import is_code, token_of
from notify.common.tokens import ANSWER_API, Claim, Signer, TokenError, answer_url_problem
from notify.contract.tags import accepted, negotiate

TEMPLATES = SITE_TEMPLATES / "answers"
FORM_LIMIT = 8 * 1024  # bytes of a form body (a token and an answer need far less)
JSON_LIMIT = 16 * 1024  # bytes of an API body
STYLE = (
    "body{font-family:system-ui,sans-serif;line-height:1.55;max-width:42em;margin:2em auto;padding:0 1em;"
    "color:#1d1d1f}h1{font-size:1.5em}.box{border:1px solid #ccc;border-radius:6px;padding:1em;margin:1em 0}"
    ".confirmation{border-color:#2e7d32;background:#f1f8f1}.error{border-color:#b00020;background:#fdf0f2}"
    "button{font-size:1em;padding:.5em 1.2em;margin:.3em .6em .3em 0;cursor:pointer}"
    "label{display:block;margin:.4em 0}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
EVERY_RESPONSE = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
"""What every response carries (pages and the API, refusals included): no cache keeps a
page with a token or an answer, no Referer takes a token elsewhere."""
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    **EVERY_RESPONSE,
}
REFUSALS = {
    "missing": 400,
    "malformed": 400,
    "form": 400,
    "forged": 403,
    "cross-site": 403,
    "foreign": 404,
    "not-found": 404,
    "expired": 410,
    "too-large": 413,
    "invalid": 422,
    "too-many": 429,
    "unavailable": 503,
}
"""The reasons a page refuses (the refused page words each) and their status."""
SAME_SITE = ("same-origin", "none")
"""The values of Sec-Fetch-Site a POST is taken with (from the page itself; typed by hand)."""


class _TooLarge(Exception):
    pass


async def _body(request: Request, limit: int) -> bytes:
    """The request body, at most ``limit`` bytes (else _TooLarge: 413, nothing read further)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise _TooLarge
        except ValueError:
            raise _TooLarge from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _origin(url: str) -> str:
    """The origin of ``url`` as a browser writes it in ``Origin`` (no default port)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port
    default = {"http": 80, "https": 443}.get(scheme)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


class _EveryResponse:
    """ASGI middleware: every response carries `EVERY_RESPONSE` (those it has not set)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in EVERY_RESPONSE.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, sending)


@dataclass(eq=False)
class AnswerApp:
    """The state behind the routes (`create_app` makes it)."""

    catalogue: Catalogue
    """The history's facts."""
    book: AnswerBook
    """The answers."""
    signer: Signer
    """Checks the personal links' tokens."""
    _: KW_ONLY
    path: str
    """The answer page's path."""
    origin: str
    """The answer page's origin (`_origin` of answer_url): where its form is posted from."""
    api_key: str | None
    """The key the API asks for; None: the API is off."""
    clock: Callable[[], float]
    catalogues: Catalogues = field(default_factory=Catalogues)
    """The words of the pages, per language (the operator's catalogues over the built-in ones)."""
    guesses: Guesses = field(default_factory=Guesses)
    """The unknown short codes each client tried lately."""
    _envs: dict[str, jinja2.Environment] = field(default_factory=dict, init=False, repr=False)
    """The page templates' sandbox, per catalogue."""

    def __post_init__(self) -> None:
        self.catalogues.check()  # a catalogue that cannot be read stops the service now
        self._loader = FolderLoader([str(TEMPLATES)])

    def _env(self, words: Words) -> jinja2.Environment:
        env = self._envs.get(words.catalogue)
        if env is None:
            env = self._envs[words.catalogue] = environment(self._loader, words.translations, autoescape=True)
        return env

    def now(self) -> datetime:
        """The service's instant (`clock`: now, or the --as-of instant run on)."""
        return datetime.fromtimestamp(self.clock(), UTC)

    # -- pages ------------------------------------------------------------------------

    def _language(self, claim: Claim | None, request: Request, version: VersionFacts | None = None) -> str:
        """The language of the page: the recipient's locale from the token, else the
        browser's (Accept-Language, by Babel's negotiation: `notify.contract.tags.negotiate`),
        by the rule of the notices (``Catalogue.language_for``: on a site with several
        languages one of them, else the source language)."""
        if claim is not None and claim.locale:
            return self.catalogue.language_for(claim.locale, version)
        tags = accepted(request.headers.get("accept-language", ""))
        languages = self.catalogue.languages
        if len(languages) > 1:
            return negotiate(tags, self.catalogue.written_in(version)) or languages[0]
        # One language: the page's own words follow the browser among the catalogues.
        return negotiate(tags, self.catalogues.languages) or ""

    def _documents(self, language: str) -> tuple[DocumentFacts, ...]:
        return tuple(d.in_language(language) for d in self.catalogue.documents)

    def _page(
        self, request: Request, name: str, language: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        """A page in ``language``, listing the documents in it; its form posts back to the
        path it was asked at (also when a shop mounts the application under a prefix)."""
        words = self.catalogues.words(language)
        template = self._env(words).get_template(f"{name}.html.j2")
        body = template.render(
            style=STYLE,
            lang=words.lang,
            dir=words.dir,
            date=lambda when: format_date(when, words.lang),
            path=request.url.path,
            documents=self._documents(language),
            **context,
        )
        return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)

    def _claim(self, token: str | None) -> tuple[Claim, DocumentFacts]:
        claim = self.signer.check(token, self.clock())
        document = self.catalogue.document(claim.document)
        index = document.index(claim.version) if document is not None else None
        if document is None or not index:
            raise TokenError("this link names a revision we do not publish", reason="foreign")
        return claim, document

    def refused(self, request: Request, reason: str, language: str | None = None) -> HTMLResponse:
        """The refused page for ``reason`` (a key of `REFUSALS`, its status), in ``language``
        (default: the browser's)."""
        if language is None:
            language = self._language(None, request)
        return self._page(request, "refused", language, REFUSALS[reason], reason=reason)

    def _consequence(self, document: DocumentFacts, user: str, answer: Answer) -> dict[str, Any]:
        """What follows from ``answer``: which version governs the user's data from when."""
        facts = document.version(answer.version)
        assert facts is not None
        start = max(answer.at, facts.effective)
        answers = self.book.of_user(document.id, user)
        result = governing(document, user, answers, start)
        zone = facts.effective.tzinfo
        return {
            "answer": answer.answer,
            "answered_at": answer.at.astimezone(zone),
            "from": start.astimezone(zone),
            "governing": document.version(result.version) if result.version else None,
        }

    async def page(self, request: Request) -> Response:
        token = request.query_params.get("token")
        if token is None:
            return self._page(request, "general", self._language(None, request))
        return await self._token_page(request, token)

    async def _token_page(self, request: Request, token: str) -> Response:
        """The page of ``token``: its revision and form, else the refused page."""
        try:
            claim, document = self._claim(token)
        except TokenError as error:
            return self.refused(request, error.reason)
        return await self._question(request, claim, document, token, answered=False)

    async def _question(
        self, request: Request, claim: Claim, document: DocumentFacts, token: str, *, answered: bool
    ) -> Response:
        """The page of the revision ``claim`` names, with the user's answer and what follows
        from it (``answered``: thanking them for the answer just recorded)."""
        language = self._language(claim, request, document.version(claim.version))
        try:
            latest = await run_in_threadpool(self.book.latest, claim.document, claim.version, claim.user)
            consequence = None
            if latest is not None:
                consequence = await run_in_threadpool(self._consequence, document, claim.user, latest)
        except SQLAlchemyError:
            return self.refused(request, "unavailable", language)
        # The revision in the page's language: its title, summary, sections and links.
        shown = document.in_language(language)
        version = shown.version(claim.version)
        return self._page(
            request,
            "question",
            language,
            document=shown,
            version=version,
            previous=shown.previous(claim.version),
            token=token,
            consequence=consequence,
            answered=answered,
            expires=datetime.fromtimestamp(claim.expires, UTC).astimezone(version.effective.tzinfo)
            if version
            else None,
            now=self.now(),
        )

    def cross_site(self, request: Request) -> bool:
        """Whether a browser says this POST comes from another site: its Sec-Fetch-Site,
        else its Origin (neither: not a browser's form, e.g. the shop's API client; Origin
        "null": a page without a Referer, its own form among them, says nothing)."""
        site = request.headers.get("sec-fetch-site")
        if site is not None:
            return site.strip().lower() not in SAME_SITE
        origin = request.headers.get("origin")
        if origin is None or origin.strip() == "null":
            return False
        return origin.strip().lower() != self.origin

    async def _form(self, request: Request) -> dict[str, str] | str:
        """The fields of the answer form, or the reason it is refused."""
        if self.cross_site(request):
            return "cross-site"
        try:
            raw = await _body(request, FORM_LIMIT)
        except _TooLarge:
            return "too-large"
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return "form"
        try:
            return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=10))
        except (UnicodeDecodeError, ValueError):
            return "form"

    async def answer(self, request: Request) -> Response:
        return await self._answer(request, None)

    async def _answer(self, request: Request, expected: str | None) -> Response:
        """Record the form's answer; ``expected``: the token the form must carry (a short
        link's), None: any valid token."""
        fields = await self._form(request)
        if isinstance(fields, str):
            return self.refused(request, fields)
        given = fields.get("token")
        if (
            expected is not None
            and given is not None
            and not hmac.compare_digest(given.encode(), expected.encode())
        ):
            return self.refused(request, "foreign")
        try:
            claim, document = self._claim(fields.get("token"))
        except TokenError as error:
            return self.refused(request, error.reason)
        language = self._language(claim, request, document.version(claim.version))
        # The form also names what it shows: a token for another document or version
        # than the page the answer was given on is refused.
        for name, value in (("document", claim.document), ("version", claim.version)):
            if fields.get(name, value) != value:
                return self.refused(request, "foreign", language)
        answer = fields.get("answer", "")
        if answer not in ANSWERS:
            return self.refused(request, "form", language)
        now = self.now()
        if answer_problem(self.catalogue, claim.document, claim.version, claim.user, answer, now, now):
            return self.refused(request, "invalid", language)
        try:
            await run_in_threadpool(
                self.book.record, claim.document, claim.version, claim.user, answer, now=now, source="page"
            )
        except (SQLAlchemyError, NotifyError):
            return self.refused(request, "unavailable", language)
        return await self._question(request, claim, document, fields["token"], answered=True)

    # -- the short links of text messages --------------------------------------------

    async def _short_token(self, request: Request) -> str | Response:
        """The token of the request's code, or the response refusing it: 404 for a code not
        saved (a miss, counted against the client), 429 for a client over its misses, 503
        when the database cannot be read. A path that is no code at all is any unknown
        path's 404, neither looked up nor counted (a browser's /favicon.ico under a page
        at /)."""
        code = request.path_params["code"]
        if not is_code(code):
            return await self.not_found(request, HTTPException(404))
        client = request.client.host if request.client is not None else ""
        wait = self.guesses.attempt(client)
        if wait:
            page = self.refused(request, "too-many")
            page.headers["Retry-After"] = str(int(wait))
            return page
        try:
            token = await run_in_threadpool(token_of, self.book.engine, code)
        except SQLAlchemyError:
            self.guesses.found(client)  # not a miss: nothing was read
            return self.refused(request, "unavailable")
        if token is None:
            return self.refused(request, "not-found")
        self.guesses.found(client)
        return token

    async def short_page(self, request: Request) -> Response:
        token = await self._short_token(request)
        if isinstance(token, Response):
            return token
        return await self._token_page(request, token)

    async def short_answer(self, request: Request) -> Response:
        token = await self._short_token(request)
        if isinstance(token, Response):
            return token
        return await self._answer(request, token)

    # -- the shop's API ---------------------------------------------------------------

    def _authorised(self, request: Request) -> JSONResponse | None:
        if self.cross_site(request):
            return _problem(403, "a request from another site's page: refused")
        if self.api_key is None:
            return _problem(403, "the API is off: set POLICYCTL_ANSWER_API_KEY where the answer service runs")
        given = request.headers.get("authorization", "")
        scheme, _, key = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(key.strip().encode(), self.api_key.encode()):
            return _problem(401, "give Authorization: Bearer <POLICYCTL_ANSWER_API_KEY>")
        return None

    async def api_answers(self, request: Request) -> Response:
        refused = self._authorised(request)
        if refused is not None:
            return refused
        try:
            raw = await _body(request, JSON_LIMIT)
        except _TooLarge:
            return _problem(413, f"the body is larger than {JSON_LIMIT} bytes")
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            return _problem(400, "the body is not JSON (or nests too deep)")
        answer = _api_answer(data)
        if isinstance(answer, JSONResponse):
            return answer
        doc_id, version, user, answer_text, at_text = answer
        now = self.now()
        try:
            at = None if at_text is None else parse_offset_instant(at_text)
        except ValueError as exc:
            return _problem(422, f'"at" must be {exc}')
        problem = answer_problem(self.catalogue, doc_id, version, user, answer_text, at or now, now)
        if problem is not None:
            return _problem(404 if problem[0] == "document" else 422, problem[1])
        try:
            done = await run_in_threadpool(
                self.book.record, doc_id, version, user, answer_text, at=at, now=now, source="api"
            )
        except (SQLAlchemyError, NotifyError):
            return _problem(503, "the answers cannot be recorded right now; retry")
        return JSONResponse(
            {
                "recorded": done.recorded,
                "document": doc_id,
                "version": version,
                "user": user,
                "answer": done.answer.answer,
                "at": done.answer.at.isoformat(),
            },
            status_code=201 if done.recorded else 200,
        )

    async def api_applies(self, request: Request) -> Response:
        refused = self._authorised(request)
        if refused is not None:
            return refused
        user = request.query_params.get("user", "")
        doc_id = request.query_params.get("document", "")
        if not user or not doc_id:
            return _problem(422, "give ?user=ID&document=D")
        problem = user_problem(user)
        if problem is not None:
            return _problem(422, problem)
        document = self.catalogue.document(doc_id)
        if document is None:
            return _problem(404, f"no document {doc_id!r}")
        when = self.now()
        if request.query_params.get("as_of"):
            try:
                when = parse_offset_instant(request.query_params["as_of"])
            except ValueError as exc:
                return _problem(422, f"as_of must be {exc}")
        try:
            answers = await run_in_threadpool(self.book.of_user, doc_id, user)
        except SQLAlchemyError:
            return _problem(503, "the answers cannot be read right now; retry")
        zone = document.versions[0].effective.tzinfo if document.versions else UTC
        return JSONResponse(governing_json(governing(document, user, answers, when), zone))

    async def not_found(self, request: Request, exc: Exception) -> Response:
        """Any other path or method (a trailing slash too): 404 or 405, never a redirect;
        the API's as JSON, the rest as the refused page in the reader's language."""
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        if request.url.path == ANSWER_API or request.url.path.startswith(ANSWER_API + "/"):
            return _problem(status, "no such endpoint: POST /api/answers, GET /api/applies")
        page = self.refused(request, "not-found" if status == 404 else "form")
        page.status_code = status
        return page


def _api_answer(data: Any) -> tuple[str, str, str, str, str | None] | JSONResponse:
    """(document, version, user, answer, at or None) of an API body, or the 4xx refusing it."""
    if not isinstance(data, dict):
        return _problem(400, 'send one JSON object: {"user", "document", "version", "answer"[, "at"]}')
    fields = [data.get(k) for k in ("document", "version", "user", "answer")]
    if not all(isinstance(v, str) and v for v in fields):
        return _problem(422, '"user", "document", "version" and "answer" are required strings')
    at = data.get("at")
    if at is not None and not isinstance(at, str):
        return _problem(422, '"at" must be a string: an ISO 8601 date-time with its offset')
    doc_id, version, user, answer = (str(v) for v in fields)
    return doc_id, version, user, answer, at


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _lifespan(state: AnswerApp) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            state.book.close()

    return lifespan


def create_app(
    catalogue: Catalogue,
    *,
    ledger_url: str,
    answer_url: str,
    secret: str,
    api_key: str | None = None,
    clock: Callable[[], float] = time.time,
    locales: list[Path] | None = None,
    guesses: Guesses | None = None,
) -> Starlette:
    """The ASGI application of the answer page (at the path of ``answer_url``), its short
    links (``<path>/<code>``) and the API. ``locales``: the operator's catalogue folders
    (``<repo>/locale``), over the built-in catalogues. ``guesses``: the bound on unknown
    short codes (default: `notify.answers.guesses`' limits, on the monotonic clock).
    NotifyError when ``answer_url`` cannot be the page's (`answer_url_problem`) or a
    catalogue cannot be read."""
    problem = answer_url_problem(answer_url)
    if problem is not None:
        raise NotifyError(problem)
    signer = Signer(secret)
    state = AnswerApp(
        catalogue,
        AnswerBook(ledger_url),
        signer,
        path=urlsplit(answer_url).path or "/",
        origin=_origin(answer_url),
        api_key=api_key or None,
        clock=clock,
        catalogues=Catalogues(locales or []),
        guesses=guesses if guesses is not None else Guesses(),
    )
    short = state.path.rstrip("/") + "/{code}"  # "/{code}" under a page at "/"
    app = Starlette(
        routes=[
            Route(f"{ANSWER_API}/answers", state.api_answers, methods=["POST"]),
            Route(f"{ANSWER_API}/applies", state.api_applies, methods=["GET"]),
            Route(state.path, state.page, methods=["GET"]),
            Route(state.path, state.answer, methods=["POST"]),
            Route(short, state.short_page, methods=["GET"]),
            Route(short, state.short_answer, methods=["POST"]),
        ],
        middleware=[Middleware(_EveryResponse)],
        exception_handlers={HTTPException: state.not_found},
        lifespan=_lifespan(state),
    )
    # No redirect from /path/ to /path: Starlette builds it from the Host header and the
    # scheme it was reached by, and it would carry the token (or the API key) along.
    app.router.redirect_slashes = False
    app.state.answers = state
    return app


__all__ = ["OBJECT", "AnswerApp", "create_app"]
