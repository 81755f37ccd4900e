"""`flask worker`: runs the import jobs operators start in the back office (RQ over the configured Redis)."""

from __future__ import annotations

import csv

import click
from flask import current_app
from flask.cli import with_appcontext
from rq import SimpleWorker

from app.services import importjobs
from app.services.importsource import MAX_CSV_FIELD
from app.tasks import queue, upload_dir


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then stop.")
@click.option("--validation-workers", default=0, show_default=True,
              help="Validation processes forked beside the writer for each import (as `certs import --workers`).")
@with_appcontext
def worker_command(burst: bool, validation_workers: int) -> None:
    """Run queued import jobs until stopped (one at a time; start several for several at once)."""
    settings = current_app.config["SETTINGS"]
    if not settings.redis.url:
        raise click.ClickException("redis.url is not set: without Redis the development server runs imports "
                                   "on a thread of its own, and no worker is needed")
    # This process owns itself: the choices the importer leaves to the process owner are made here.
    current_app.extensions["import_validation_workers"] = validation_workers
    csv.field_size_limit(MAX_CSV_FIELD)
    with current_app.extensions["db"].session() as session:
        dead = importjobs.reap_dead(session, current_app.extensions["clock"].now(), upload_dir(settings))
    if dead:
        click.echo(f"{dead} import job(s) whose worker had died marked failed", err=True)
    # SimpleWorker runs each job in this process (no fork per job): the app, its connection pools and
    # the cipher are built once, and a fork would share the pools' sockets with the parent.
    worker = SimpleWorker([queue(settings.redis.url)], connection=queue(settings.redis.url).connection)
    worker.work(burst=burst, with_scheduler=False, logging_level="WARNING")
