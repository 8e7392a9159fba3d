"""The api application: create_app() builds everything in the lifespan; nothing happens at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import Response

from api.agency_form.endpoints import problem, sign_in_redirect
from api.agency_form.endpoints import router as agency_form_router
from api.agency_form.sessions import SignInRequired
from api.audit.endpoints import router as audit_router
from api.body_limit import BodyLimit, Limit
from api.chat.endpoints import router as chat_router
from api.config import Environment, Settings, get_settings
from api.consent.endpoints import router as consent_router
from api.console.endpoints import install as install_console
from api.conversation.gateway import Gateway
from api.conversation.relay import RasaRelay
from api.conversation.tracker import TrackerStore, tracker_store_url
from api.db import create_engine, create_read_sessionmaker, create_sessionmaker
from api.errors import install_error_handlers
from api.health.endpoints import router as health_router
from api.hours.endpoints import router as hours_router
from api.i18n import Translator
from api.kit.crypto import Vault
from api.nlg.catalogue import load_catalogue
from api.nlg.endpoints import router as nlg_router
from api.observability import RequestLog, configure_logging
from api.phone_check.endpoints import router as phone_check_router
from api.police_feed.endpoints import MAX_BYTES as POLICE_FEED_MAX_BYTES
from api.police_feed.endpoints import router as police_feed_router
from api.police_feed.errors import PoliceFeedTooLarge
from api.queue.endpoints import router as queue_router
from api.ratelimit import RateLimiter, Rule, parse_networks
from api.ratelimit.middleware import MESSAGE_KEY as RATE_LIMITED_KEY
from api.ratelimit.middleware import RateLimit
from api.ratelimit.middleware import document as document_rate_limits
from api.referral.endpoints import router as referral_router
from api.retention.endpoints import router as retention_router
from api.rights.endpoints import conversation_router as rights_conversation_router
from api.rights.endpoints import router as rights_router
from api.sms.endpoints import router as sms_router
from api.stats.endpoints import router as stats_router
from api.triage.endpoints import router as triage_router
from api.web.endpoints import router as web_router
from api.web.security import EdgeHeaders, hsts_value


def rate_limited_page(request: Request, locale: str, retry_after: int) -> Response:
    """The /refer form's pages are read by a person: a 429 there is the form's own problem page."""
    return problem(request, locale, RATE_LIMITED_KEY, 429)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level)
        engine = create_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.read_sessionmaker = create_read_sessionmaker(engine)
        app.state.relay = RasaRelay(settings.rasa_url, settings.rasa_timeout_seconds)
        app.state.tracker_store = TrackerStore(tracker_store_url(settings))
        app.state.vault = Vault(
            settings.encryption_key_ring(), settings.blind_index_key.get_secret_value().encode()
        )
        try:
            yield
        finally:
            await app.state.relay.close()
            await app.state.tracker_store.close()
            await engine.dispose()

    app = FastAPI(
        title="Staffordshire victim self-referral and triage",
        version="0.1.0",
        description=(
            "Self-referral and triage for victims of hate crime, antisocial behaviour and domestic abuse. "
            "Errors are `{error, code, detail}`; authenticate with a bearer token."
        ),
        lifespan=lifespan,
        # /docs loads third-party scripts on the chat's origin: off unless API_DOCS_ENABLED (development).
        openapi_url="/openapi.json" if settings.docs_enabled else None,
        docs_url="/docs" if settings.docs_enabled else None,
        redoc_url="/redoc" if settings.docs_enabled else None,
    )
    app.state.settings = settings
    # The translator and the response catalogue are plain files, needed by error handlers even in tests
    # that never run the lifespan.
    app.state.translator = Translator(settings.locales_dir, settings.default_locale)
    app.state.response_catalogue = load_catalogue(settings.locales_dir / "responses.yml")
    app.state.gateway = Gateway.from_settings(settings, app.state.translator)
    install_error_handlers(app)
    app.add_middleware(RequestLog)  # innermost: sees the status the error handlers chose
    for router in (health_router, chat_router, nlg_router, referral_router, queue_router, triage_router):
        app.include_router(router)
    app.include_router(phone_check_router)
    app.include_router(audit_router)
    app.include_router(retention_router)
    app.include_router(stats_router)
    app.include_router(consent_router)
    app.include_router(police_feed_router)
    app.include_router(sms_router)
    app.include_router(web_router)
    app.include_router(agency_form_router)
    app.include_router(hours_router)
    app.include_router(rights_router)
    app.include_router(rights_conversation_router)
    app.add_exception_handler(SignInRequired, sign_in_redirect)
    install_console(app)
    app.state.rate_limiter = RateLimiter.from_settings(
        settings.rate_limit_storage_url,
        {rule: getattr(settings, f"rate_limit_{rule.value}") for rule in Rule},
    )
    document_rate_limits(app)
    # Inside the size limit (a refused body is never counted), before any route reads a body.
    app.add_middleware(
        RateLimit,
        limiter=app.state.rate_limiter,
        trusted_proxies=parse_networks(settings.trusted_proxies),
        html_refusal=rate_limited_page,
    )
    # Outside the rate limit: no body over its limit is read into memory by anything behind it.
    app.add_middleware(
        BodyLimit,
        default=settings.max_request_bytes,
        by_prefix={
            police_feed_router.prefix: Limit(
                POLICE_FEED_MAX_BYTES, PoliceFeedTooLarge.error, PoliceFeedTooLarge.message_key
            )
        },
    )
    # Outside the size limit, so its 413 (and every other answer) carries them too.
    hsts = None if settings.app_env == Environment.development else hsts_value(settings.hsts_max_age_seconds)
    app.add_middleware(EdgeHeaders, hsts=hsts)
    return app
