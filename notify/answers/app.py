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
  language, the page's words in the recipient's locale, en or zh).
- ``POST <path>`` (form fields ``token``, ``answer``): records the answer and answers
  303 to the page, which then confirms what follows.
- ``POST /api/answers`` (JSON, ``Authorization: Bearer <POLICYCTL_ANSWER_API_KEY>``).
- ``GET /api/applies?user=ID&document=D[&as_of=WHEN]`` (the same key).

A missing, forged, expired or foreign token, an unknown document or version, a body
over its limit: 4xx, and nothing is recorded. The token itself is the form's CSRF
token (only its recipient has it); pages are sent with a strict Content-Security-Policy,
``Referrer-Policy: no-referrer`` (the token stays out of other sites' logs), no framing
and no caching.
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
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import jinja2
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from notify.answers.rule import (
    ANSWERS,
    OBJECT,
    Answer,
    Catalogue,
    DocumentFacts,
    VersionFacts,
    answer_problem,
    governing,
)
from notify.answers.serialise import governing_json
from notify.answers.store import AnswerBook
from notify.common.dates import format_date
from notify.common.errors import NotifyError
from notify.common.resources import SITE_TEMPLATES
from notify.common.tokens import Claim, Signer, TokenError
from notify.contract.revision import match_language

TEMPLATES = SITE_TEMPLATES / "answers"
FORM_LIMIT = 8 * 1024  # bytes of a form body (a token and an answer need far less)
JSON_LIMIT = 16 * 1024  # bytes of an API body
LOCALES = ("en", "zh")
STYLE = (
    "body{font-family:system-ui,sans-serif;line-height:1.55;max-width:42em;margin:2em auto;padding:0 1em;"
    "color:#1d1d1f}h1{font-size:1.5em}.box{border:1px solid #ccc;border-radius:6px;padding:1em;margin:1em 0}"
    ".confirmation{border-color:#2e7d32;background:#f1f8f1}.error{border-color:#b00020;background:#fdf0f2}"
    "button{font-size:1em;padding:.5em 1.2em;margin:.3em .6em .3em 0;cursor:pointer}"
    "label{display:block;margin:.4em 0}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


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


def _accepted(header: str) -> list[str]:
    """The language tags of an Accept-Language header, most wanted first (q=0 left out)."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.partition(";")
        q = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value)
            except ValueError:
                continue
        tag = tag.strip()
        if tag and tag != "*" and q > 0:
            ranked.append((-q, i, tag))
    return [tag for _, _, tag in sorted(ranked)]


def _template_language(language: str) -> str:
    """Which of the page templates' languages (en, zh) speaks ``language``; else English."""
    return match_language(language, LOCALES) or "en"


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
    api_key: str | None
    """The key the API asks for; None: the API is off."""
    clock: Callable[[], float]
    env: jinja2.Environment = field(init=False, repr=False)
    """The page templates'."""

    def __post_init__(self) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )

    # -- pages ------------------------------------------------------------------------

    def _language(self, claim: Claim | None, request: Request, version: VersionFacts | None = None) -> str:
        """The language of the page: the recipient's locale from the token, else the
        browser's (Accept-Language), by the rule of the notices (``Catalogue.language_for``:
        on a site with several languages one of them, else the source language)."""
        if claim is not None and claim.locale:
            return self.catalogue.language_for(claim.locale, version)
        tags = _accepted(request.headers.get("accept-language", ""))
        languages = self.catalogue.languages
        if len(languages) > 1:
            written_in = self.catalogue.written_in(version)
            return next((m for tag in tags if (m := match_language(tag, written_in))), languages[0])
        # One language: the page's own words follow the browser among those it has.
        return next((tag for tag in tags if match_language(tag, LOCALES)), "")

    def _documents(self, language: str) -> tuple[DocumentFacts, ...]:
        return tuple(d.in_language(language) for d in self.catalogue.documents)

    def _page(
        self, request: Request, name: str, language: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        """A page in ``language``, listing the documents in it; its form posts back to the
        path it was asked at (also when a shop mounts the application under a prefix)."""
        locale = _template_language(language)
        template = self.env.get_template(f"{name}.{locale}.html.j2")
        body = template.render(
            style=STYLE,
            locale=locale,
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

    def _refusal(self, error: TokenError, request: Request) -> HTMLResponse:
        status = {"missing": 400, "malformed": 400, "forged": 403, "foreign": 404, "expired": 410}[
            error.reason
        ]
        return self._page(
            request,
            "refused",
            self._language(None, request),
            status,
            reason=error.reason,
        )

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
        try:
            claim, document = self._claim(token)
        except TokenError as error:
            return self._refusal(error, request)
        language = self._language(claim, request, document.version(claim.version))
        try:
            latest = await run_in_threadpool(self.book.latest, claim.document, claim.version, claim.user)
            consequence = None
            if latest is not None:
                consequence = await run_in_threadpool(self._consequence, document, claim.user, latest)
        except SQLAlchemyError:
            return self._page(request, "refused", language, 503, reason="unavailable")
        # The revision in the page's language: its title, summary, sections and links.
        shown = document.in_language(language)
        version = shown.version(claim.version)
        words = _template_language(language)
        return self._page(
            request,
            "question",
            language,
            document=shown,
            version=version,
            previous=shown.previous(claim.version),
            token=token,
            consequence=consequence,
            answered=request.query_params.get("answered") == "1",
            expires=datetime.fromtimestamp(claim.expires, UTC).astimezone(version.effective.tzinfo)
            if version
            else None,
            date=lambda when: format_date(when, words),
            now=datetime.fromtimestamp(self.clock(), UTC),
        )

    async def answer(self, request: Request) -> Response:
        language = self._language(None, request)
        try:
            raw = await _body(request, FORM_LIMIT)
        except _TooLarge:
            return self._page(request, "refused", language, 413, reason="too-large")
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return self._page(request, "refused", language, 415, reason="form")
        try:
            fields = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=10))
        except (UnicodeDecodeError, ValueError):
            return self._page(request, "refused", language, 400, reason="form")
        try:
            claim, _document = self._claim(fields.get("token"))
        except TokenError as error:
            return self._refusal(error, request)
        # The form also names what it shows: a token for another document or version
        # than the page the answer was given on is refused.
        for name, value in (("document", claim.document), ("version", claim.version)):
            if fields.get(name, value) != value:
                return self._refusal(TokenError("a token for another revision", reason="foreign"), request)
        answer = fields.get("answer", "")
        if answer not in ANSWERS:
            return self._page(request, "refused", language, 400, reason="form")
        try:
            await run_in_threadpool(
                self.book.record,
                claim.document,
                claim.version,
                claim.user,
                answer,
                at=datetime.fromtimestamp(self.clock(), UTC),
                source="page",
            )
        except (SQLAlchemyError, NotifyError):
            return self._page(request, "refused", language, 503, reason="unavailable")
        target = f"{request.url.path}?{urlencode({'token': fields['token'], 'answered': '1'})}"
        return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)

    # -- the shop's API ---------------------------------------------------------------

    def _authorised(self, request: Request) -> JSONResponse | None:
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
        except (ValueError, UnicodeDecodeError):
            return _problem(400, "the body is not JSON")
        if not isinstance(data, dict):
            return _problem(400, 'send one JSON object: {"user", "document", "version", "answer"[, "at"]}')
        user, doc_id, version, answer = (data.get(k) for k in ("user", "document", "version", "answer"))
        if not all(isinstance(v, str) and v for v in (user, doc_id, version, answer)):
            return _problem(422, '"user", "document", "version" and "answer" are required strings')
        assert isinstance(user, str) and isinstance(doc_id, str) and isinstance(version, str)
        assert isinstance(answer, str)
        problem = self.check_answer(doc_id, version, user, answer)
        if problem is not None:
            return _problem(*problem)
        at = None
        if data.get("at") is not None:
            try:
                at = datetime.fromisoformat(str(data["at"]).replace("Z", "+00:00"))
            except ValueError:
                return _problem(422, '"at" must be an ISO 8601 date-time with its offset')
            if at.tzinfo is None:
                return _problem(422, '"at" needs its offset, e.g. 2026-10-03T12:00:00+08:00')
            if at.timestamp() > self.clock() + 300:
                return _problem(422, '"at" lies in the future')
        try:
            done = await run_in_threadpool(
                self.book.record, doc_id, version, user, answer, at=at, source="api"
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

    def check_answer(self, doc_id: str, version: str, user: str, answer: str) -> tuple[int, str] | None:
        """Why an answer cannot be recorded (status, message), or None."""
        problem = answer_problem(
            self.catalogue, doc_id, version, user, answer, datetime.fromtimestamp(self.clock(), UTC)
        )
        if problem is None:
            return None
        return (404 if problem[0] == "document" else 422), problem[1]

    async def api_applies(self, request: Request) -> Response:
        refused = self._authorised(request)
        if refused is not None:
            return refused
        user = request.query_params.get("user", "")
        doc_id = request.query_params.get("document", "")
        if not user or not doc_id:
            return _problem(422, "give ?user=ID&document=D")
        document = self.catalogue.document(doc_id)
        if document is None:
            return _problem(404, f"no document {doc_id!r}")
        when = datetime.fromtimestamp(self.clock(), UTC)
        if request.query_params.get("as_of"):
            try:
                when = datetime.fromisoformat(request.query_params["as_of"].replace("Z", "+00:00"))
            except ValueError:
                return _problem(422, "as_of must be an ISO 8601 date-time with its offset")
            if when.tzinfo is None:
                return _problem(422, "as_of needs its offset")
        try:
            answers = await run_in_threadpool(self.book.of_user, doc_id, user)
        except SQLAlchemyError:
            return _problem(503, "the answers cannot be read right now; retry")
        zone = document.versions[0].effective.tzinfo if document.versions else UTC
        return JSONResponse(governing_json(governing(document, user, answers, when), zone))


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers={"Cache-Control": "no-store"})


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
) -> Starlette:
    """The ASGI application of the answer page (at the path of ``answer_url``) and the API."""
    state = AnswerApp(
        catalogue,
        AnswerBook(ledger_url),
        Signer(secret),
        path=urlsplit(answer_url).path or "/",
        api_key=api_key or None,
        clock=clock,
    )
    app = Starlette(
        routes=[
            Route(state.path, state.page, methods=["GET"]),
            Route(state.path, state.answer, methods=["POST"]),
            Route("/api/answers", state.api_answers, methods=["POST"]),
            Route("/api/applies", state.api_applies, methods=["GET"]),
        ],
        lifespan=_lifespan(state),
    )
    app.state.answers = state
    return app


__all__ = ["OBJECT", "AnswerApp", "create_app"]
