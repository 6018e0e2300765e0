"""What a failed office write means, in words a clerk understands: the contract's error names (the
writer stores the decoded custom error, ledger.writer.store.fail) and the rules a service refuses
with before anything is written (ledger.domain.errors: field + rule)."""

from ledger.domain.errors import DomainError
from ledger.domain.repair_gate import NoticePeriodRunning, ends_text

# The contracts' errors an office write can meet (contracts/*.sol); any other is shown by its name.
CHAIN_ERROR = {
    "FeeLedgerInvalidTime": "核定时间早于首次核定时间或超出链上时钟允许范围，请稍后重新核定。",
    "FeeLedgerInvalidDueDate": "缴费期限不符合要求（至少在核定一天后，且不超过十年）。",
    "FeeLedgerInvalidRateTable": "所选费率表版本无效，请按现行费率表重新核定。",
    "FeeLedgerRateTableNotInEffect": "该费率表在核定时尚未生效。",
    "FeeLedgerRateTableSuperseded": "该费率表已被新表取代，请按现行费率表重新核定。",
    "FeeLedgerUnknownRate": "费率表中没有该行政区划的费率。",
    "FeeLedgerZeroRate": "该行政区划的费率为零，无法核定。",
    "FeeLedgerPayerMismatch": "缴费单位与首次核定时不一致，账本只认首次核定的缴费单位。",
    "FeeLedgerNotAssessed": "该项目尚未核定，请先核定费用再办理减免或补缴／核减。",
    "FeeLedgerInvalidRelief": "减免比例无效（应在 0 至 100% 之间）。",
    "FeeLedgerAdjustmentBelowZero": "核减金额超过应缴金额，应缴不能为负。",
    "FeeLedgerZeroAdjustment": "调整金额不能为零。",
    "FeeLedgerAmountTooLarge": "金额超出账本可记录的范围。",
    "FeeLedgerZeroHash": "缺少文件摘要（document_sha256）。",
    "FeeLedgerZeroIdentifier": "项目或单位标识为空。",
    "CommitmentRegistryInvalidTransition": "该承诺当前的状态不允许这项决定（例如已履约的承诺不能再判定违约）。",
    "CommitmentRegistryTooManyExtensions": "该承诺已延期三次，不能再延期。",
    "CommitmentRegistryInvalidDueDate": "新的到期日不符合要求（须晚于原到期日，且不超过签署后十年）。",
    "CommitmentRegistryInvalidTime": "决定时间早于承诺签署时间或晚于链上时间。",
    "CommitmentRegistryNotYetDue": "承诺尚未到期，现在不能判定违约。",
    "CommitmentRegistryEvidencePending": "企业已提交履约证据，请先审查证据（认定履约或退回证据）。",
    "CommitmentRegistryNoEvidencePending": "没有待审查的履约证据。",
    "CommitmentRegistryNotShelterBuild": "该决定只适用于防空地下室建设类承诺。",
    "CommitmentRegistryUnknownCommitment": "链上没有这项承诺。",
    "CommitmentRegistryZeroHash": "缺少文件摘要（document_sha256）。",
    "TransactionReverted": "链上交易被拒绝（未给出原因），请联系系统管理员。",
}

# A service's refusals (field, rule) in a clerk's words; the rest show the service's own detail.
RULE = {
    "assessed_first": "该项目尚未核定，请先核定费用。",
    "rate_table_in_force": "没有适用于该项目行政区划的已发布费率表。",
    "future_date": "日期必须晚于今天。",
    "min_notice": "缴费期限至少在核定一天之后。",
    "max_horizon": "日期不能超过十年。",
    "kept_on_reassessment": "重新核定沿用首次核定的缴费期限，请不要修改期限。",
    "same_payer": "该项目首次核定的缴费单位不是现在的建设单位，账本只认首次核定的缴费单位。",
    "relief_changes": "该项目已按此理由减免，无需重复办理。",
    "policy_reason": "减免理由不在减免政策之内。",
    "required_for_reason": "此理由须填写调整金额。",
    "later_than_due_date": "新的到期日必须晚于原到期日。",
    "max_extensions": "该承诺已延期三次，不能再延期。",
    "recorded_commitment": "没有这项承诺，或链上拒绝了它的登记。",
    "required_for_extend": "延期须填写新的到期日。",
    "allowed_transition": "该承诺当前的状态不允许这项决定。",
    "overdue_first": "只有已标记逾期的承诺才能判定违约；该承诺尚未逾期（或逾期标记尚未上链）。",
    "evidence_pending": "没有待审查的履约证据。",
    "no_evidence_pending": "企业已提交履约证据，请先审查证据（认定履约或退回证据）。",
    "second_officer": "减免须由另一位人防办工作人员审批，申请人本人不能审批。",
    "awaiting": "该审批已办理，无需重复审批。",
    "levy_unchanged": "申请之后该项目的应缴金额已经变化（重新核定或另有减免、核减），不能按原申请批准，请重新申请。",
    "relief_unchanged": "申请之后该项目的减免比例已经变化，不能按原申请批准；请申请人核对后重新申请。",
    "reduction_unchanged": "按现行减免政策，这项减免的金额已与申请时不同，不能按原申请批准；请申请人重新申请。",
    "not_after_chain_time": "时间超出链上时钟允许范围，请稍后再试。",
    "repair_application_required": (
        "信用修复须由企业提出申请，经人防办公示且公示期满后方可批准；该承诺没有已公示的信用修复申请。"
    ),
    "application_evidence": "信用修复的文件摘要须为该承诺信用修复申请的申请摘要（见信用修复申请页），请从申请页办理。",
    "published_only": "该信用修复申请不在公示状态，不能批准。",
    "submitted_only": "该信用修复申请已公示或已办结，不能再次公示。",
    "open_only": "该信用修复申请已办结，不能退回。",
    "known_application": "没有这项信用修复申请。",
}


def chain_error_words(name: str | None) -> str:
    """The error in words, and its name for whoever the clerk asks (its arguments are hashes: left out)."""
    if not name:
        return ""
    return f"{CHAIN_ERROR.get(name, '链上拒绝了这项操作。')}（合约错误：{name}）"


def refusal_words(error: DomainError) -> str:
    field = f"（{error.field}）" if error.field else ""
    if isinstance(error, NoticePeriodRunning):
        return f"信用修复公示期至 {ends_text(error.ends_at)}（北京时间）结束，公示期满后方可批准信用修复{field}。"
    if error.rule in RULE:
        return f"{RULE[error.rule]}{field}"
    return f"未能办理{field}：{error.detail}"
