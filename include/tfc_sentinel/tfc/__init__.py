"""Terraform Cloud / Terraform Enterprise API client: sync (requests) and async (aiohttp) twins.

Both clients drive the same I/O-free flows of :mod:`tfc_sentinel.tfc.calls`, share the models,
the typed errors and the retry policy, and differ only in how bytes move.
"""

from tfc_sentinel.tfc.aclient import AsyncTfcClient
from tfc_sentinel.tfc.client import TfcClient
from tfc_sentinel.tfc.config import TfcConfig
from tfc_sentinel.tfc.errors import (
    ApiErrorDetail,
    AuthenticationError,
    ConflictError,
    DownloadError,
    MalformedResponseError,
    NotFoundError,
    PlanExportFailedError,
    PlanExportTimeoutError,
    PlanNotExportableError,
    RateLimitError,
    ServerError,
    TfcApiError,
    TfcConnectionError,
    TfcError,
    TfcTimeoutError,
    UnprocessableError,
    UnsupportedMediaTypeError,
)
from tfc_sentinel.tfc.models import Comment, Organization, PingInfo, Plan, PlanExport, Run, RunPage, Workspace
from tfc_sentinel.tfc.retry import RetryPolicy

__all__ = [
    "ApiErrorDetail",
    "AsyncTfcClient",
    "AuthenticationError",
    "Comment",
    "ConflictError",
    "DownloadError",
    "MalformedResponseError",
    "NotFoundError",
    "Organization",
    "PingInfo",
    "Plan",
    "PlanExport",
    "PlanExportFailedError",
    "PlanExportTimeoutError",
    "PlanNotExportableError",
    "RateLimitError",
    "RetryPolicy",
    "Run",
    "RunPage",
    "ServerError",
    "TfcApiError",
    "TfcClient",
    "TfcConfig",
    "TfcConnectionError",
    "TfcError",
    "TfcTimeoutError",
    "UnprocessableError",
    "UnsupportedMediaTypeError",
    "Workspace",
]
