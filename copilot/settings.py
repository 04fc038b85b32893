"""All settings in one typed tree.

Sources, strongest first: environment variables (``COPILOT_`` prefix, ``__`` for nesting), a YAML file
named by ``COPILOT_CONFIG``, then the defaults below. The defaults are the embedded laptop shape: a
local data directory, an embedded vector store, SQLite, a bundled embedding model and no LLM.
"""

from __future__ import annotations

import os
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class _YamlSource(PydanticBaseSettingsSource):
    def get_field_value(self, field, field_name):  # pragma: no cover - required by the ABC
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get("COPILOT_CONFIG")
        if not path:
            return {}
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
        if not isinstance(data, dict):
            from copilot.errors import ConfigurationError
            raise ConfigurationError(f"{path}: top level must be a mapping")
        return data


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COPILOT_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Field(default=ROOT / "var", description="Where embedded stores, caches and demo data live")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir")
    qdrant_url: str | None = Field(default=None, description="Qdrant server URL; unset = embedded store")
    qdrant_api_key: str | None = Field(default=None, description="API key of the Qdrant server")
    vector_backend: Literal["auto", "edge", "local", "server", "memory"] = Field(
        default="auto", description="auto = server if qdrant_url else edge (embedded qdrant-edge)")
    embedding_model: str | None = Field(default=None, description="Path to a sentence-transformers model; default the bundled all-MiniLM-L6-v2")
    embedding_batch_size: int = Field(default=128, description="Texts per embedding batch")
    embedding_backend: Literal["sentence-transformers", "hashing"] = Field(
        default="sentence-transformers", description="hashing = model-free hashed n-grams (tests, tiny machines); lexical, not semantic")
    embedding_query_runtime: Literal["onnx", "torch"] = Field(
        default="onnx", description="Runtime for short queries (a suggestion's memo): onnx = the model exported "
                                    "to ONNX once, ~2x faster, same vectors; torch if it cannot be exported")
    llm_model: str | None = Field(default=None, description="Any litellm model name; unset = deterministic templates")
    llm_api_base: str | None = Field(default=None, description="Base URL of an OpenAI-compatible or other litellm provider")
    llm_api_key: str | None = Field(default=None, description="Provider API key (never logged)")
    llm_timeout_s: float = Field(default=20.0, description="Per-call LLM timeout; on expiry the deterministic answer is served")
    llm_max_retries: int = Field(default=2, description="LLM retries on rate limits, timeouts and 5xx")
    llm_retry_backoff_s: float = Field(default=1.0, description="First wait before retrying the LLM after a rate limit, timeout or 5xx; doubles each retry")
    llm_retry_backoff_max_s: float = Field(default=20.0, description="Longest single wait between LLM retries")
    default_company: str = Field(default="demo", description="Company used when a request names none")
    top_k: int = Field(default=3, description="Codings returned per line")
    neighbours: int = Field(default=50, description="Similar past postings retrieved per line")
    bulk_search_min_lines: int = Field(
        default=2000, description="Batch imports of at least this many lines search similar postings in an "
                                  "in-memory copy of the company's index (read once; 0 = never)")
    batch_workers: int = Field(
        default=0, ge=0, description="Worker processes that code the lines of a large batch import "
                                     "(0 = one per CPU core, 1 = none: all in the importing process)")
    batch_parallel_min_lines: int = Field(
        default=10000, ge=0, description="Batch imports of at least this many lines use the worker processes "
                                         "(starting them costs a few seconds)")
    materiality_threshold: Decimal = Field(default=Decimal("10000"), description="Narratives for lines at or above this amount")
    review_confidence_threshold: float = Field(default=0.6, description="Below this calibrated confidence a line goes to human review")
    ui_host_origins: list[str] = Field(default_factory=list, description="Origins that may frame the UI pages and talk to the sidebar by postMessage, e.g. [\"https://www.intacct.com\"] (docs/ui.md)")
    prompts_dir: Path = Field(default=ROOT / "prompts", description="Versioned prompt and narrative templates")
    policies_dir: Path = Field(default=ROOT / "policies", description="Policy documents (RAG) and machine-readable rules")
    api_keys_file: Path | None = Field(default=None, description="YAML of API keys -> role and entities")
    webhook_secret: str | None = Field(default=None, description="Shared secret for the HMAC signature of Intacct Smart Event webhooks")
    # --- validation webhooks and alerts (copilot/validate, docs/webhooks.md)
    webhook_tolerance_s: int = Field(default=300, ge=1, description="Webhook X-Copilot-Timestamp may be this far from now (replay window)")
    webhook_lease_s: int = Field(default=120, ge=1, description="A webhook event being processed longer than this is taken over (crash recovery)")
    webhook_max_attempts: int = Field(default=5, ge=1, description="Processing attempts per webhook event before it is marked failed")
    validation_notify_url: str | None = Field(default=None, description="Outbound alert hook: validation findings of webhook events are POSTed here (JSON)")
    validation_notify_min_severity: Literal["info", "warning", "error"] = Field(default="warning", description="Least severity that triggers the alert hook")
    validation_notify_attempts: int = Field(default=4, ge=1, description="Attempts per alert-hook notification (exponential backoff)")
    demo_seed: int = Field(default=7, description="Seed of the demo company generator")
    database_schema: str | None = Field(
        default=None, description="PostgreSQL schema holding the tables (sets search_path); unset = the default")
    monitor_window_days: int = Field(default=7, description="Monitoring: the recent window compared with the baseline")
    monitor_baseline_days: int = Field(default=90, description="Monitoring: length of the baseline window before it")
    monitor_min_samples: int = Field(default=30, description="Monitoring: fewer decisions than this raise no alert")
    alert_min_acceptance_rate: float = Field(default=0.6, description="Alert when top-1 acceptance falls below")
    alert_max_edit_rate: float = Field(default=0.3, description="Alert when any dimension is edited more often")
    alert_max_calibration_drift: float = Field(
        default=0.1, description="Alert when the recent calibration error exceeds the baseline's by more")
    alert_max_psi: float = Field(default=0.2, description="Alert when the account distribution PSI exceeds")
    # --- Sage Intacct connector (copilot/connector). Secrets are SecretStr and every credential,
    # identifiers included, is left out of repr(): Intacct ids must not end up in logs either.
    # Each falls back to the Intacct SDKs' own variables (INTACCT_SENDER_ID, INTACCT_USER_PASSWORD, ...).
    intacct_api: Literal["xml", "rest"] = Field(default="xml", description="Which Intacct API the connector uses")
    intacct_sender_id: str | None = Field(default=None, repr=False, description="Web Services sender ID (XML API)")
    intacct_sender_password: SecretStr | None = Field(default=None, repr=False, description="Web Services sender password")
    intacct_user_id: str | None = Field(default=None, repr=False, description="Intacct Web Services user ID")
    intacct_company_id: str | None = Field(default=None, repr=False, description="Intacct company ID")
    intacct_user_password: SecretStr | None = Field(default=None, repr=False, description="Intacct Web Services user password")
    intacct_entity: str | None = Field(default=None, description="Entity (LOCATIONID) for an entity-level session; unset = top level")
    intacct_endpoint: str = Field(default="https://api.intacct.com/ia/xml/xmlgw.phtml",
                                  description="XML gateway used to log in; later calls use the endpoint getAPISession returns")
    intacct_rest_base_url: str = Field(default="https://api.intacct.com/ia/api/v1", description="REST API base URL")
    intacct_client_id: str | None = Field(default=None, repr=False, description="REST OAuth2 client ID")
    intacct_client_secret: SecretStr | None = Field(default=None, repr=False, description="REST OAuth2 client secret")
    intacct_refresh_token: SecretStr | None = Field(default=None, repr=False, description="REST OAuth2 refresh token (authorization-code setups); unset = client_credentials")
    intacct_oauth_username: str | None = Field(default=None, repr=False, description="REST client_credentials username (user@company), when the app needs one")
    intacct_page_size: int = Field(default=1000, ge=1, le=1000, description="readByQuery pagesize (Intacct allows 1..1000)")
    intacct_max_concurrency: int = Field(
        default=2, ge=1, description="Concurrent requests per company. Intacct limits concurrency per company by "
        "performance tier (Tier 1 is reported as 2 concurrent requests; higher tiers allow more); exceeding it "
        "gives HTTP 429 / GW-0010")
    intacct_timeout_s: float = Field(default=60.0, description="Per-request HTTP timeout (large GLDETAIL pages are slow)")
    intacct_max_attempts: int = Field(default=5, ge=1, description="Attempts per request for rate limits, 5xx and timeouts (business errors are never retried)")
    intacct_backoff_initial_s: float = Field(default=1.0, description="First wait before a retry; grows exponentially with jitter")
    intacct_backoff_max_s: float = Field(default=60.0, description="Longest single wait between retries (a Retry-After is honoured up to this)")
    intacct_ai_note_target: Literal["description", "custom_field"] = Field(
        default="description", description="Where write-back puts the AI's reasoning/confidence/prompt version: "
        "the line memo (GLENTRY DESCRIPTION) or a custom GLENTRY field")
    intacct_ai_note_field: str = Field(default="AI_NOTE", description="Custom GLENTRY field for the AI note when intacct_ai_note_target is custom_field")
    intacct_memo_max_chars: int = Field(default=400, ge=40, description="Longest memo written back; the AI note is shortened to fit (Intacct's exact limit is unverified)")

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        return (init_settings, env_settings, _YamlSource(settings_cls), file_secret_settings)

    def company_dir(self, name: str) -> Path:
        """``<data_dir>/companies/<name>``; InputError for a name that is not one (it could leave that
        directory, or be longer than a file name may be)."""
        return company_dir(self.data_dir, name)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'copilot.db'}"

    @property
    def api_keys_path(self) -> Path:
        """The API key file: api_keys_file, else data_dir/api_keys.yaml."""
        return self.api_keys_file or self.data_dir / "api_keys.yaml"

    @property
    def resolved_vector_backend(self) -> str:
        if self.vector_backend != "auto":
            return self.vector_backend
        return "server" if self.qdrant_url else "edge"


COMPANY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # also `copilot company import`'s rule


def check_company_name(name: str) -> str:
    """``name`` if it can name a company directory; InputError otherwise."""
    if not isinstance(name, str) or not COMPANY_NAME.match(name):
        from copilot.errors import InputError

        raise InputError(f"not a company name: {str(name)[:80]!r} (letters, digits, '.', '_' or '-', "
                         "at most 64, starting with a letter or digit)", field="company")
    return name


def company_dir(data_dir: Path, name: str) -> Path:
    """Where a company's files live; the one place a company name from outside becomes a path."""
    return Path(data_dir) / "companies" / check_company_name(name)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def settings_table() -> str:
    """The README's settings table, generated from the fields above (`python -m copilot.settings`)."""
    rows = ["| Environment variable | Default | What it does |", "|---|---|---|"]
    for name, f in Settings.model_fields.items():
        default = f.default
        if isinstance(default, Path):
            default = default.relative_to(ROOT) if default.is_relative_to(ROOT) else default
        shown = "—" if default is None else f"`{default}`"
        rows.append(f"| `COPILOT_{name.upper()}` | {shown} | {(f.description or '').replace('|', '/')} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(settings_table())
