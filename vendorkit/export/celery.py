"""The Celery engine of multi-account exports: ``celery -A vendorkit.export.celery worker``.

``app`` is configured from the environment when this module is imported:

- broker ``VENDORKIT_BROKER_URL`` (default ``redis://127.0.0.1:6379/0``); result backend the
  same Redis unless ``VENDORKIT_RESULT_BACKEND`` is set; the Redis the clients share their
  tokens and quotas through, and that carries leases, markers and progress,
  ``VENDORKIT_REDIS_URL`` (default: the broker's URL);
- JSON only (no pickle: a message can never run code), late acknowledgement and
  ``task_reject_on_worker_lost`` (a unit whose worker dies is delivered again), a prefetch of
  one (a worker holds no unit it is not running);
- ``VENDORKIT_CELERY_VISIBILITY_TIMEOUT`` (seconds, default 3600): how long a killed worker's
  unit stays invisible before another worker gets it; ``VENDORKIT_CELERY_LEASE_TTL`` (seconds,
  default 30): how long a vanished worker's lease on its file outlives it.

One task, ``vendorkit.export_unit``: one resource of one account, with only non-secret JSON
arguments (``_celery_config.Unit``); it returns the ``JobResult`` as JSON. The worker side is
``_celery_worker``; the submitting side, ``export_accounts_celery``, is ``_celery_submit``.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import worker_process_shutdown, worker_shutdown

from ._celery_config import TASK_NAME, celery_config, settings
from ._celery_submit import export_accounts_celery
from ._celery_worker import PROCESS, LeaseHeld, run_unit_sync

__all__ = ["app", "export_accounts_celery", "export_unit", "make_app"]


def make_app(broker_url: str | None = None) -> Any:
    """A Celery app configured from the environment (``broker_url`` winning over it), with the
    export task registered."""
    celery_app = Celery("vendorkit")
    celery_app.conf.update(celery_config(settings(broker_url=broker_url)))
    celery_app.task(name=TASK_NAME, bind=True, max_retries=None)(_export_unit)
    return celery_app


def _export_unit(task: Any, **kwargs: Any) -> dict[str, Any]:
    try:
        return run_unit_sync(kwargs, str(task.request.hostname or "worker"))
    except LeaseHeld as held:
        # Another worker writes this unit's file: this delivery waits its turn (the retry is a
        # new message; this one is acknowledged).
        raise task.retry(countdown=held.countdown, max_retries=None) from None


def _close_process(**_: Any) -> None:
    PROCESS.close()


worker_process_shutdown.connect(_close_process, weak=False)
worker_shutdown.connect(_close_process, weak=False)  # the solo and threads pools

app = make_app()
export_unit = app.tasks[TASK_NAME]
