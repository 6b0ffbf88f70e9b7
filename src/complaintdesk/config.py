"""One typed settings object, read from ``COMPLAINTDESK_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me-demo-only"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMPLAINTDESK_", extra="ignore")

    database_url: str = "sqlite:///complaintdesk.db"
    demo_mode: bool = False
    secret_key: str = PLACEHOLDER_SECRET
    # The audit chain's HMAC key (docs/reliability.md, "Audit chain"); kept outside the
    # database. Unset: derived from secret_key with a domain separator.
    audit_key_file: Path | None = None
    data_dir: Path | None = None
    attachments_dir: Path = Path("var/attachments")
    triage_model: Path | None = None
    # Pin the model file's SHA-256 (printed by `model train`); unset: the .sha256 file beside it.
    triage_model_sha256: str | None = Field(None, pattern=r"^[0-9a-fA-F]{64}$")
    triage_threshold: float = Field(0.6, ge=0, le=1)
    token_ttl_hours: int = Field(12, ge=1, le=24 * 30)
    max_failed_logins: int = Field(5, ge=1)
    lockout_minutes: int = Field(15, ge=1)
    reminder_working_days: int = Field(2, ge=0, le=10)
    page_size_max: int = Field(200, ge=10, le=1000)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_sender: str = "complaintdesk@localhost"
    sms_gateway_url: str | None = None
    # The HTTP edge (docs/reliability.md, "HTTP edge"). Body limits are in bytes; a multipart
    # upload defaults to the attachment limits (files x size) plus form overhead.
    max_json_body_bytes: int = Field(2 * 1024 * 1024, ge=1024)
    max_upload_body_bytes: int | None = Field(None, ge=1024)
    max_import_body_bytes: int = Field(51 * 1024 * 1024, ge=1024)
    # Anonymous filing on the public web form (docs/reliability.md, "Hostile input: uploads"):
    # sized so that the largest body these allow costs at most 50 ms of server CPU on a
    # 2-core machine (bench/hostile.py). The body limit of a /public/ page is the files plus
    # PUBLIC_FORM_OVERHEAD_BYTES for the text fields. Signed-in staff keep
    # attachments.MAX_ATTACHMENTS x MAX_ATTACHMENT_BYTES.
    public_max_attachments: int = Field(2, ge=0, le=10)
    public_max_attachment_bytes: int = Field(1536 * 1024, ge=1024, le=10 * 1024 * 1024)
    public_form_overhead_bytes: int = Field(256 * 1024, ge=64 * 1024, le=2 * 1024 * 1024)
    # An e-mail reply token stops threading into its case this many days after the case was
    # closed (the reply is then filed as a new complaint); unset: tokens never expire.
    reply_token_days_after_close: int | None = Field(90, ge=0)
    # Requests per address per window, in this process (N processes allow N times as many).
    rate_limit_window_seconds: int = Field(60, ge=1)
    login_rate_limit: int = Field(30, ge=1)
    filing_rate_limit: int = Field(10, ge=1)
    status_rate_limit: int = Field(30, ge=1)
    # Trust X-Forwarded-For/-Proto only from these proxy addresses ("*" for any).
    proxy_headers: bool = False
    forwarded_allow_ips: str = "127.0.0.1"
    hsts_seconds: int = Field(31_536_000, ge=0)
    # The telecom organisation: the code of its root unit (省客户支撑中心). Its staff keep
    # the knowledge base and approve SMS templates; only its tree may read the knowledge.
    telecom_root_unit: str = "tc-province"
    # SMS to complainants per Asia/Shanghai day, counted from the outbox (SPEC §7).
    sms_per_complaint_per_day: int = Field(3, ge=1, le=100)
    sms_per_number_per_day: int = Field(5, ge=1, le=100)

    @field_validator("database_url")
    @classmethod
    def _url_is_sqlalchemy(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
        except ArgumentError as exc:
            raise ValueError(
                f"COMPLAINTDESK_DATABASE_URL 不是有效的数据库地址 / not a database URL: {value}"
            ) from exc
        return value

    def resolved_data_dir(self) -> Path:
        """Where the shared real-complaint data lives (``../shared/data`` by default)."""
        if self.data_dir is not None:
            return self.data_dir
        for candidate in (Path.cwd() / "../shared/data", PROJECT_ROOT / "../shared/data"):
            if candidate.is_dir():
                return candidate.resolve()
        return (PROJECT_ROOT / "../shared/data").resolve()

    def check_for_serving(self) -> None:
        """Refuse to serve real users with the placeholder secret."""
        if not self.demo_mode and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError(
                "请设置 COMPLAINTDESK_SECRET_KEY（或以演示模式 COMPLAINTDESK_DEMO_MODE=1 运行）"
                " / set COMPLAINTDESK_SECRET_KEY, or run in demo mode"
            )


@lru_cache
def get_settings() -> Settings:
    return Settings()
