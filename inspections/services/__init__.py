"""Services of the inspections app (writes), one module per capability; the public names are re-exported here.

Each service is one transaction that checks who may act, writes the change and its audit row together
(`agencies.audit.audit_record`), and raises `ValidationError` (naming the field where there is one) or
`PermissionDenied`.
"""

from .catalog import (  # noqa: F401
    checklist_item_update,
    checklist_new_version,
    checklist_publish,
    conflict_declare,
    inspector_deactivate,
    inspector_register,
    plan_create,
    plan_publish,
    plan_transition,
)
from .draws import (  # noqa: F401
    draw_commit,
    draw_execute,
    draw_inputs,
    may_operate,
)
from .findings import (  # noqa: F401
    finding_transition,
    rectification_submit,
    rectification_verify,
    scan_overdue_findings,
    supervised_case_lift,
    supervised_case_open,
    suspension_order_issue,
    suspension_order_lift,
    suspension_order_withdraw,
)
from .inspections import (  # noqa: F401
    finding_record,
    inspection_cancel,
    inspection_create,
    inspection_notify,
    inspection_publish,
    inspection_sign,
    inspection_start,
    item_result_record,
    item_results_record,
    publish_overdue_inspections,
)
from .referrals import (  # noqa: F401
    findings_needing_referral,
    referral_accept,
    referral_answer,
    referral_decline,
    referral_send,
    referrals_overdue,
)
