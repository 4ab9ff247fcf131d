"""Post a policy check's Markdown report back to the Terraform run as a comment (optional, off by default).

Teams working in Terraform Cloud want the verdict where they already look. ``PostRunCommentOperator``
takes the Markdown report that ``RunPoliciesOperator`` stored (its XCom summary says where) and posts
it as a run comment.

Why it is built this way:

- **Off unless asked.** A comment is visible to everyone with access to the workspace, so it is posted
  only when the operator's ``enabled`` (the DAG param ``post_comment``) is true, or, when that is left
  empty, when ``[tfc_sentinel] post_comments`` is true.
- **Once per check, whatever is retried.** Every comment ends with a footer naming the check
  (``<dag_id>/<dag_run_id>/<task_id>``). Before posting, the run's comments are listed; if one carries
  the footer, it is reused. The client never repeats the ``POST`` itself; a reply lost after the comment
  was created fails the try, and the retry finds the comment instead of posting a second one.
- **A teardown in the DAG.** It must run after a failed check (that is when the comment matters)
  without deciding the DAG run's state, which stays the check's.
- **Nothing to say, nothing posted.** No summary (the check never ran) or no Markdown report skips the
  task rather than posting an empty or misleading comment.

Importing this module is cheap (DAG files import it): the HTTP client and storage load in ``execute``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowSkipException

from tfc_sentinel.airflow.hooks import DEFAULT_CONN_ID
from tfc_sentinel.airflow.policies import SECTION, XCOM_SUMMARY

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["XCOM_COMMENT_ID", "PostRunCommentOperator", "comment_footer"]

XCOM_COMMENT_ID: Final = "comment_id"
CONFIG_OPTION: Final = "post_comments"
_TRUE: Final = frozenset({"true", "1", "yes", "on"})
_FALSE: Final = frozenset({"false", "0", "no", "off"})


def comment_footer(dag_id: str, dag_run_id: str, task_key: str) -> str:
    """The last line of every comment: says where it came from, and identifies the check for de-duplication."""
    return f"_Posted by tfc-sentinel from Airflow: `{dag_id}/{dag_run_id}/{task_key}`_"


def _flag(value: Any) -> bool | None:
    """True/False from a bool or its templated text; ``None`` for empty ("use the configuration")."""
    if isinstance(value, bool):
        return value
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


class PostRunCommentOperator(BaseOperator):
    """Post the policy check's Markdown report as a comment on the Terraform run, once.

    Returns the comment's ID (also pushed as XCom ``comment_id``).

    :param tfc_run_id: the Terraform run (``run-…``); templated.
    :param policy_task_id: the ``RunPoliciesOperator`` task whose summary and report to post.
    :param enabled: post or not (bool or its text, e.g. ``"{{ params.post_comment }}"``); templated. Empty
        or ``None``: ``[tfc_sentinel] post_comments`` (default false).
    :param tfc_conn_id: the ``terraform_cloud`` connection (its token needs permission to comment).
    """

    template_fields: Sequence[str] = ("tfc_run_id", "enabled")
    ui_color = "#f7f1e4"

    def __init__(
        self,
        *,
        tfc_run_id: str,
        policy_task_id: str = "run_policies",
        enabled: bool | str | None = None,
        tfc_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.tfc_run_id = tfc_run_id
        self.policy_task_id = policy_task_id
        self.enabled = enabled
        self.tfc_conn_id = tfc_conn_id

    def _is_enabled(self) -> bool:
        from airflow.sdk import conf

        chosen = _flag(self.enabled)
        if chosen is not None:
            return chosen
        return conf.getboolean(SECTION, CONFIG_OPTION, fallback=False)

    def _markdown(self, summary: dict[str, Any]) -> str:
        from airflow.sdk import ObjectStoragePath

        reports = summary.get("reports")
        location = reports.get("markdown") if isinstance(reports, dict) else None
        if not isinstance(location, str) or not location:
            raise AirflowSkipException(f"{self.policy_task_id} stored no Markdown report; nothing to post")
        try:
            if "://" not in location or location.startswith("file://"):
                return Path(location.removeprefix("file://")).read_text(encoding="utf-8")
            return ObjectStoragePath(location).read_text(encoding="utf-8")
        except OSError as exc:
            raise AirflowSkipException(f"the Markdown report cannot be read ({exc}); nothing posted") from exc

    def execute(self, context: Context) -> str:
        from tfc_sentinel.airflow.hooks import TerraformCloudHook, task_error
        from tfc_sentinel.airflow.operators import check_run_id
        from tfc_sentinel.tfc import TfcError

        if not self._is_enabled():
            raise AirflowSkipException(
                "posting results to Terraform Cloud is off: set the DAG param post_comment, or "
                f"[{SECTION}] {CONFIG_OPTION} = True"
            )
        run_id = check_run_id(self.tfc_run_id)
        ti = context["ti"]
        summary = ti.xcom_pull(task_ids=self.policy_task_id, key=XCOM_SUMMARY)
        if not isinstance(summary, dict):
            raise AirflowSkipException(f"{self.policy_task_id} left no policy summary (it did not run)")
        footer = comment_footer(context["dag"].dag_id, str(context["run_id"]), self.policy_task_id)
        body = f"{self._markdown(summary).rstrip()}\n\n---\n{footer}\n"
        with TerraformCloudHook(self.tfc_conn_id).get_client() as client:
            try:
                earlier = next((c for c in client.list_run_comments(run_id) if footer in c.body), None)
                if earlier is not None:
                    self.log.info(
                        "run %s already has this check's comment %s; not posting again", run_id, earlier.id
                    )
                    comment_id = earlier.id
                else:
                    comment_id = client.create_run_comment(run_id, body).id
                    self.log.info("posted the policy results to run %s as comment %s", run_id, comment_id)
            except TfcError as exc:
                raise task_error(exc, f"commenting on Terraform run {run_id}") from exc
        ti.xcom_push(key=XCOM_COMMENT_ID, value=comment_id)
        return comment_id
