"""The web application: `create_app(settings)` builds it; `insights serve` runs it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from pipelines.read_model import queries
from pipelines.read_model.connection import Database, Reader, ServingUnavailable
from pipelines.read_model.scope import OutOfScope, Scope, scope_for
from pipelines.settings import Settings
from pipelines.web import overview, views
from pipelines.web.dates import PRESETS, as_of_date
from pipelines.web.i18n import LABELS, LANGUAGES, pick_language
from pipelines.web.identity import DEMO_COOKIE, NotSignedIn, identify

HERE = Path(__file__).parent
LANG_COOKIE = "insights_lang"


@dataclass
class Session:
    reader: Reader
    scope: Scope
    lang: str
    labels: dict
    today: date  # the as-of date of the data: "today" for the date presets
    as_of: datetime | None  # data_as_of in the firm's time zone


def create_app(settings: Settings, *, demo: bool = False) -> FastAPI:
    app = FastAPI(title="Client insights", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    database = Database(settings.serving_path, settings.serve_postgres_dsn)
    zone = ZoneInfo(settings.timezone)

    def language(request: Request) -> str:
        return pick_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
                             request.headers.get("accept-language"))

    @contextmanager
    def session(request: Request) -> Iterator[Session]:
        """One read-only connection for the request; the member's scope, or NotSignedIn."""
        with database.open() as reader:
            member = identify(request, reader, settings.serve_identity_header, demo)
            reader.act_as(member.user_id)  # PostgreSQL: row-level security as the member
            scope = scope_for(reader, member)
            as_of = queries.data_as_of(reader)
            lang = language(request)
            yield Session(reader, scope, lang, LABELS[lang],
                          as_of_date(as_of, settings.timezone),
                          as_of.astimezone(zone) if as_of else None)

    def page(request: Request, name: str, s: Session | None, status: int = 200, **values):
        lang = s.lang if s else language(request)
        context = {"t": LABELS[lang], "lang": lang, "languages": LANGUAGES, "demo": demo,
                   "member": s.scope.member if s else None, "clients": s.scope.clients if s else {},
                   "as_of": s.as_of if s else None, "today": s.today if s else None,
                   "presets": PRESETS, **values}
        return templates.TemplateResponse(request, name, context, status_code=status)

    def api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    @app.middleware("http")
    async def remember_language(request: Request, call_next):
        response = await call_next(request)
        chosen = request.query_params.get("lang")
        if chosen in LANGUAGES:
            response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 86400, samesite="lax")
        return response

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _error: NotSignedIn) -> Response:
        if api(request):
            return JSONResponse({"detail": "not signed in"}, status_code=401)
        return page(request, "message.html", None, 401, message="no_identity")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if api(request) or error.status_code != 404:
            return JSONResponse({"detail": error.detail}, status_code=error.status_code)
        return page(request, "message.html", None, 404, message="not_found")

    @app.exception_handler(OutOfScope)
    async def out_of_scope(request: Request, _error: OutOfScope) -> Response:
        # as for a client that does not exist: the page never tells the two apart
        return await http_error(request, HTTPException(status_code=404, detail="not found"))

    @app.exception_handler(ServingUnavailable)
    async def unavailable(request: Request, _error: ServingUnavailable) -> Response:
        if api(request):
            return JSONResponse({"detail": "no serving database yet"}, status_code=503)
        return page(request, "message.html", None, 503, message="no_data")

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return RedirectResponse("/insights", status_code=303)

    @app.get("/insights", response_class=HTMLResponse)
    def insights_page(request: Request, client: str | None = None, preset: str = "this_month",
                      start: str | None = None, end: str | None = None,
                      sort: str | None = None, order: str | None = None):
        with session(request) as s:
            if client in (None, "", "all"):  # the landing view: every client at once
                data = overview.overview(s.reader, s.scope, s.today, preset, start, end,
                                         sort, order)
                return page(request, "overview.html", s, view="insights", data=data,
                            sortable=overview.SORTABLE)
            data = views.insights(s.reader, s.scope, s.today, client, preset, start, end)
            return page(request, "insights.html", s, view="insights", data=data)

    @app.get("/attention", response_class=HTMLResponse)
    def attention_page(request: Request):
        with session(request) as s:
            return page(request, "attention.html", s, view="attention",
                        data=views.attention(s.reader, s.scope, s.today,
                                                 settings.digest_deadline_days))

    @app.get("/vat", response_class=HTMLResponse)
    def vat_page(request: Request, client: str | None = None, period: str | None = None):
        with session(request) as s:
            data = views.vat(s.reader, s.scope, s.today, client, period, s.labels)
            return page(request, "vat.html", s, view="vat", data=data)

    @app.get("/backlog", response_class=HTMLResponse)
    def backlog_page(request: Request, client: str | None = None, days: int = 90):
        with session(request) as s:
            data = views.backlog(s.reader, s.scope, s.today, client, days, s.labels)
            return page(request, "backlog.html", s, view="backlog", data=data,
                        day_options=views.BACKLOG_DAYS)

    @app.get("/api/me")
    def api_me(request: Request):
        with session(request) as s:
            return {"user_id": s.scope.member.user_id, "display_name": s.scope.member.display_name,
                    "clients": s.scope.clients, "data_as_of": s.as_of}

    @app.get("/api/insights")
    def api_insights(request: Request, client: str | None = None, preset: str = "this_month",
                     start: str | None = None, end: str | None = None):
        with session(request) as s:
            return jsonable_encoder(
                views.insights(s.reader, s.scope, s.today, client, preset, start, end))

    @app.get("/api/overview")
    def api_overview(request: Request, preset: str = "this_month", start: str | None = None,
                     end: str | None = None, sort: str | None = None, order: str | None = None):
        with session(request) as s:
            return jsonable_encoder(overview.overview(s.reader, s.scope, s.today, preset, start,
                                                      end, sort, order))

    @app.get("/api/overview.csv")
    def api_overview_csv(request: Request, preset: str = "this_month", start: str | None = None,
                         end: str | None = None, sort: str | None = None,
                         order: str | None = None):
        with session(request) as s:
            data = overview.overview(s.reader, s.scope, s.today, preset, start, end, sort, order)
            name = f"overview-{data['start'] or 'vat-period'}-{data['end'] or s.today}.csv"
            return PlainTextResponse(
                overview.overview_csv(data), media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @app.get("/api/attention")
    def api_attention(request: Request):
        with session(request) as s:
            return jsonable_encoder(views.attention(s.reader, s.scope, s.today,
                                                    settings.digest_deadline_days))

    @app.get("/api/vat")
    def api_vat(request: Request, client: str | None = None, period: str | None = None):
        with session(request) as s:
            data = views.vat(s.reader, s.scope, s.today, client, period, s.labels)
            data.pop("chart", None)
            return jsonable_encoder(data)

    @app.get("/api/backlog")
    def api_backlog(request: Request, client: str | None = None, days: int = 90):
        with session(request) as s:
            data = views.backlog(s.reader, s.scope, s.today, client, days, s.labels)
            data.pop("chart", None)
            return jsonable_encoder(data)

    if demo:
        @app.get("/demo", response_class=HTMLResponse)
        def demo_picker(request: Request):
            with database.open() as reader:
                members = queries.active_members(reader)
            return page(request, "demo.html", None, members=members)

        @app.get("/demo/choose")
        def demo_choose(user_id: str) -> Response:
            response = RedirectResponse("/insights", status_code=303)
            response.set_cookie(DEMO_COOKIE, user_id, samesite="lax")
            return response

    return app
