"""Queue reconcile: checks the ledger of one piece's accounts; resumes the rest when short of time."""

from earnloop.points.reconcile_jobs import worker_handler as lambda_handler

__all__ = ["lambda_handler"]
