"""The worker: `python -m api.worker`. Background jobs that must not run inside a request.

Now: puts lapsed queue leases back, deletes expired browser sessions (api/web/sessions.py), raises the
console's alerts and e-mails them to team addresses (api/alerts), beats a heartbeat that readiness checks
read, runs the SMS helpline's bot turns and outbox (api/sms/runner.py), and every RETENTION_RUN_MINUTES
disposes of what the retention policy says is due (api/retention/disposal.py). Stops cleanly on
SIGINT/SIGTERM, finishing the job in hand.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.alerts import service as alerts
from api.alerts.settings import AlertSettings
from api.config import get_settings
from api.db import create_engine, create_read_sessionmaker, create_sessionmaker
from api.kit.models import utcnow
from api.kit.sql import upsert
from api.observability import configure_logging
from api.queue import service as queue_service
from api.retention.disposal import Disposal
from api.sms.runner import SmsRunner
from api.web import sessions as web_sessions
from api.worker.models import WorkerHeartbeat

logger = logging.getLogger("api.worker")


async def run_once(
    sessionmaker: async_sessionmaker[AsyncSession], alert_settings: AlertSettings | None = None
) -> int:
    async with sessionmaker() as session, session.begin():
        now = utcnow()
        released = await queue_service.release_lapsed_leases(session, now)
        raised = await alerts.raise_due(session, now, alert_settings or AlertSettings())
        await web_sessions.purge(session, now)
        await upsert(session, WorkerHeartbeat, {"name": "worker", "seen_at": now}, ["name"])
    if released:
        logger.info("released lapsed leases", extra={"count": released})
    if raised:
        logger.info("alerts raised", extra={"count": raised})
    return released


async def mail_alerts(
    sessionmaker: async_sessionmaker[AsyncSession], alert_settings: AlertSettings, base_url: str
) -> int:
    """E-mail new alerts to their teams' addresses (reference and link only); a failure is logged and the
    alerts are tried again next round."""
    try:
        async with sessionmaker() as session, session.begin():
            sent = await alerts.send_pending(session, alert_settings, base_url, utcnow())
    except OSError as exc:  # smtplib's errors are OSErrors
        logger.error("alert e-mail failed", extra={"error_type": type(exc).__name__})
        return 0
    if sent:
        logger.info("alert e-mails sent", extra={"count": sent})
    return sent


async def dispose_periodically(disposal: Disposal, every_seconds: float, stopping: asyncio.Event) -> None:
    """Run disposal at start and then every `every_seconds`; a failed run is logged and tried next time."""
    while not stopping.is_set():
        try:
            report = await disposal.run(utcnow())
            logger.info(
                "retention run done",
                extra={
                    "batches": report.batches,
                    "longest_batch_ms": round(report.longest_batch_seconds * 1000),
                },
            )
        except Exception as exc:
            logger.error("retention run failed", extra={"error_type": type(exc).__name__})
        try:
            await asyncio.wait_for(stopping.wait(), timeout=every_seconds)
        except TimeoutError:
            pass


async def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    engine = create_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    sessionmaker = create_sessionmaker(engine)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    sms = SmsRunner.create(settings, sessionmaker, create_read_sessionmaker(engine))
    sms_task = asyncio.create_task(sms.run(stopping))
    disposal = Disposal(sessionmaker, settings)
    alert_settings = AlertSettings()
    retention_task = asyncio.create_task(
        dispose_periodically(disposal, settings.retention_run_minutes * 60, stopping)
    )
    logger.info("worker started")
    try:
        while not stopping.is_set():
            try:
                await run_once(sessionmaker, alert_settings)
                await mail_alerts(sessionmaker, alert_settings, settings.public_base_url)
            except Exception as exc:
                logger.error("worker round failed", extra={"error_type": type(exc).__name__})
            try:
                await asyncio.wait_for(stopping.wait(), timeout=settings.worker_poll_seconds)
            except TimeoutError:
                pass
    finally:
        stopping.set()
        await sms_task
        await retention_task
        await disposal.close()
        await sms.close()
        await engine.dispose()
        logger.info("worker stopped")


if __name__ == "__main__":
    asyncio.run(main())
