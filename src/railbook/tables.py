"""Every table of every domain on `Base.metadata`, for code that needs them all without building the app."""

from railbook.auth import models as auth_models
from railbook.console import models as console_models
from railbook.customers import models as customer_models
from railbook.external_accounts import models as external_account_models
from railbook.idempotency import models as idempotency_models
from railbook.jobs import models as job_models
from railbook.ownership import models as ownership_models
from railbook.plaid import models as plaid_models
from railbook.platforms import models as platform_models
from railbook.stablecoin_links import models as stablecoin_link_models
from railbook.webhooks import models as webhook_models

MODULES = (
    auth_models, console_models, customer_models, external_account_models, idempotency_models, job_models,
    ownership_models, plaid_models, platform_models, stablecoin_link_models, webhook_models,
)  # fmt: skip
