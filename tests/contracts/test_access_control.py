"""Every write: the role it is for can do it; every other account gets the named error.
Conflicting roles are exclusive, and the admin role moves only by a delayed two-step transfer."""

import pytest

from ledger.core.identifiers import reason_code, reference_key
from ledger.core.roles import ROLE_ACCOUNT_INDEX, role_id
from tests.contracts.helpers import (
    BASIS,
    DAY,
    DISTRICT,
    DOC,
    NO_REASON,
    PAYER,
    VERSION,
    assess,
    pay,
    project,
    record,
    reverts,
    send_at,
    unsealed,
)

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil

C1 = reference_key("C-1")
DRAW = reference_key("DRAW-1")


def _draw_terms(c):
    return (DRAW, DOC, 5, BASIS, 3, 2, 1, c.w3.eth.block_number + 11)


def _draw_committed(chain):
    send_at(chain, "VERIFIER_ROLE", chain.draws.functions.commitDraw(*_draw_terms(chain)))


def _draw_revealed(chain):
    _draw_committed(chain)
    chain.mine(11)
    send_at(chain, "OUTSIDER", chain.draws.functions.reveal(DRAW))


def _assessed(chain):
    assess(chain, project(), 10_000)
    pay(chain, project(), "V-0", 10**12)  # overpaid, so a refund is possible


def _recorded(chain):
    record(chain, signed_at=chain.now(), due_in=DAY)


def _overdue(chain):
    _recorded(chain)
    chain.travel(9 * DAY)
    send_at(chain, "OUTSIDER", chain.registry.functions.markOverdue(C1))


def _evidence(chain):
    _recorded(chain)
    send_at(chain, "APPROVAL_ROLE", chain.registry.functions.submitEvidence(C1, DOC, chain.now()))


def _breached(chain):
    _overdue(chain)
    send_at(chain, "VERIFIER_ROLE", chain.registry.functions.breach(C1, DOC))


def _import_open(chain):
    """Imports need a deployment that planned one (ledger.chain.deploy seals the import otherwise)."""
    return unsealed(chain)


def _account_imported(chain):
    chain = unsealed(chain)
    send_at(chain, "DEFAULT_ADMIN_ROLE", chain.fee.functions.importAccounts([_imported_account(chain)]))
    return chain


def _imported_account(c):
    return (project(5), PAYER, DISTRICT, VERSION, 1, 0, 100, 0, 1, 1, c.now() - DAY, c.now() + DAY)


# (contract, function, role, setup, args(chain))
WRITES = [
    ("fee", "publishRateTable", "ASSESSOR_ROLE", None, lambda c: (9, c.now(), BASIS, [(410102, 1)])),
    (
        "fee",
        "assess",
        "ASSESSOR_ROLE",
        None,
        lambda c: (project(), PAYER, DISTRICT, 100, VERSION, c.now(), c.now() + 9 * DAY, BASIS),
    ),
    ("fee", "setRelief", "ASSESSOR_ROLE", _assessed, lambda c: (project(), reason_code("R"), 5_000, DOC)),
    ("fee", "adjust", "ASSESSOR_ROLE", _assessed, lambda c: (project(), reason_code("R"), -1, DOC)),
    ("fee", "recordPayment", "TAX_ROLE", _assessed, lambda c: (project(), reference_key("V-1"), 1, c.now())),
    ("fee", "recordPayments", "TAX_ROLE", _assessed, lambda c: ([(project(), reference_key("V-1"), 1, c.now())],)),
    ("fee", "recordRefund", "TAX_ROLE", _assessed, lambda c: (project(), reference_key("R-1"), 1, c.now(), NO_REASON)),
    (
        "fee",
        "recordRefunds",
        "TAX_ROLE",
        _assessed,
        lambda c: ([(project(), reference_key("R-1"), 1, c.now(), NO_REASON)],),
    ),
    ("fee", "pause", "PAUSER_ROLE", None, lambda c: ()),
    ("fee", "setRefundReasonAllowed", "DEFAULT_ADMIN_ROLE", None, lambda c: (reason_code("ANNULLED"), True)),
    ("fee", "importAccounts", "DEFAULT_ADMIN_ROLE", _import_open, lambda c: ([_imported_account(c)],)),
    (
        "fee",
        "importVouchers",
        "DEFAULT_ADMIN_ROLE",
        _account_imported,
        lambda c: ([(project(5), reference_key("V-9"), 1, c.now())],),
    ),
    (
        "fee",
        "importRefunds",
        "DEFAULT_ADMIN_ROLE",
        _account_imported,
        lambda c: ([(project(5), reference_key("R-9"), 1, c.now(), NO_REASON)],),
    ),
    ("fee", "sealImport", "DEFAULT_ADMIN_ROLE", _import_open, lambda c: ()),
    (
        "registry",
        "record",
        "APPROVAL_ROLE",
        None,
        lambda c: (reference_key("C-2"), project(), PAYER, 1, c.now(), c.now() + DAY, DOC),
    ),
    (
        "registry",
        "recordBatch",
        "APPROVAL_ROLE",
        None,
        lambda c: ([(reference_key("C-2"), project(), PAYER, 1, c.now(), c.now() + DAY, DOC)],),
    ),
    ("registry", "fulfilByAcceptance", "APPROVAL_ROLE", _recorded, lambda c: (C1, DOC, c.now())),
    ("registry", "rejectEvidence", "VERIFIER_ROLE", _evidence, lambda c: (C1, DOC)),
    ("registry", "fulfil", "VERIFIER_ROLE", _recorded, lambda c: (C1, DOC, c.now())),
    ("registry", "breach", "VERIFIER_ROLE", _overdue, lambda c: (C1, DOC)),
    ("registry", "repair", "VERIFIER_ROLE", _breached, lambda c: (C1, DOC, c.now())),
    ("registry", "extend", "VERIFIER_ROLE", _recorded, lambda c: (C1, c.now() + 9 * DAY, DOC)),
    ("registry", "pause", "PAUSER_ROLE", None, lambda c: ()),
    ("registry", "setOverdueGracePeriod", "DEFAULT_ADMIN_ROLE", None, lambda c: (DAY,)),
    (
        "registry",
        "importCommitments",
        "DEFAULT_ADMIN_ROLE",
        _import_open,
        lambda c: (
            [
                (
                    reference_key("C-9"),
                    project(),
                    PAYER,
                    0,
                    2,
                    False,
                    0,
                    c.now() - 10 * DAY,
                    c.now() - 9 * DAY,
                    DOC,
                    c.now() - 10 * DAY,
                    0,
                    0,
                    c.now() - 9 * DAY,
                )
            ],
        ),
    ),
    ("registry", "importCounters", "DEFAULT_ADMIN_ROLE", _import_open, lambda c: ([(PAYER, (1, 1, 0, 0, 0, 0))],)),
    ("registry", "sealImport", "DEFAULT_ADMIN_ROLE", _import_open, lambda c: ()),
    (
        "fee",
        "grantRole",
        "DEFAULT_ADMIN_ROLE",
        None,
        lambda c: (role_id("TAX_ROLE"), c.senders["OUTSIDER"].account.address),
    ),
    (
        "fee",
        "revokeRole",
        "DEFAULT_ADMIN_ROLE",
        None,
        lambda c: (role_id("TAX_ROLE"), c.senders["TAX_ROLE"].account.address),
    ),
    (
        "registry",
        "grantRole",
        "DEFAULT_ADMIN_ROLE",
        None,
        lambda c: (role_id("VERIFIER_ROLE"), c.senders["OUTSIDER"].account.address),
    ),
    (
        "registry",
        "revokeRole",
        "DEFAULT_ADMIN_ROLE",
        None,
        lambda c: (role_id("VERIFIER_ROLE"), c.senders["VERIFIER_ROLE"].account.address),
    ),
    (
        "fee",
        "beginDefaultAdminTransfer",
        "DEFAULT_ADMIN_ROLE",
        None,
        lambda c: (c.senders["OUTSIDER"].account.address,),
    ),
    ("registry", "changeDefaultAdminDelay", "DEFAULT_ADMIN_ROLE", None, lambda c: (3_600,)),
    ("draws", "commitDraw", "VERIFIER_ROLE", None, _draw_terms),
    ("draws", "recordOutcome", "VERIFIER_ROLE", _draw_revealed, lambda c: (DRAW, C1, 3, DOC)),
    ("draws", "pause", "PAUSER_ROLE", None, lambda c: ()),
    (
        "draws",
        "grantRole",
        "DEFAULT_ADMIN_ROLE",
        None,
        lambda c: (role_id("VERIFIER_ROLE"), c.senders["OUTSIDER"].account.address),
    ),
]
ACCOUNTS = [*ROLE_ACCOUNT_INDEX, "OUTSIDER"]
IDS = [f"{contract}.{fn}" for contract, fn, *_ in WRITES]
GOVERNANCE = {
    "pause",
    "grantRole",
    "revokeRole",
    "setRefundReasonAllowed",
    "setOverdueGracePeriod",
    "importAccounts",
    "importVouchers",
    "importRefunds",
    "importCommitments",
    "importCounters",
    "sealImport",
    "beginDefaultAdminTransfer",
    "changeDefaultAdminDelay",
}


def _call(chain, contract, fn, args):
    return getattr(getattr(chain, contract).functions, fn)(*args(chain))


@pytest.mark.parametrize("contract, fn, role, setup, args", WRITES, ids=IDS)
def test_the_role_a_write_is_for_can_make_it(chain, contract, fn, role, setup, args):
    if setup:
        chain = setup(chain) or chain  # an import's setup returns a deployment with the import open
    assert send_at(chain, role, _call(chain, contract, fn, args))["status"] == 1


@pytest.mark.parametrize("contract, fn, role, setup, args", WRITES, ids=IDS)
def test_every_other_account_gets_the_unauthorized_error(chain, contract, fn, role, setup, args):
    if setup:
        chain = setup(chain) or chain
    for other in (a for a in ACCOUNTS if a != role):
        with reverts("AccessControlUnauthorizedAccount") as excinfo:
            send_at(chain, other, _call(chain, contract, fn, args))
        assert excinfo.value.args_[1] == role_id(role)


def test_evidence_comes_from_the_approval_system_or_the_office_and_nobody_else(chain):
    _recorded(chain)
    for role in ("APPROVAL_ROLE", "VERIFIER_ROLE"):
        send_at(chain, role, chain.registry.functions.submitEvidence(C1, DOC, chain.now()))
    for other in (a for a in ACCOUNTS if a not in ("APPROVAL_ROLE", "VERIFIER_ROLE")):
        with reverts("AccessControlUnauthorizedAccount"):
            send_at(chain, other, chain.registry.functions.submitEvidence(C1, DOC, chain.now()))


def test_the_approval_role_cannot_breach_extend_or_repair(chain):
    _breached(chain)
    for fn, args in (
        ("breach", (C1, DOC)),
        ("extend", (C1, chain.now() + 9 * DAY, DOC)),
        ("repair", (C1, DOC, chain.now())),
    ):
        with reverts("AccessControlUnauthorizedAccount"):
            send_at(chain, "APPROVAL_ROLE", getattr(chain.registry.functions, fn)(*args))


def test_unpause_is_for_the_pauser_only(chain):
    for contract in (chain.fee, chain.registry, chain.draws):
        send_at(chain, "PAUSER_ROLE", contract.functions.pause())
        for other in (a for a in ACCOUNTS if a != "PAUSER_ROLE"):
            with reverts("AccessControlUnauthorizedAccount"):
                send_at(chain, other, contract.functions.unpause())
        send_at(chain, "PAUSER_ROLE", contract.functions.unpause())


def test_a_paused_contract_refuses_every_write_but_governance(chain):
    _assessed(chain)
    _recorded(chain)
    _draw_revealed(chain)
    send_at(chain, "PAUSER_ROLE", chain.fee.functions.pause())
    send_at(chain, "PAUSER_ROLE", chain.registry.functions.pause())
    send_at(chain, "PAUSER_ROLE", chain.draws.functions.pause())
    chain.travel(9 * DAY)
    for contract, fn, role, _setup, args in WRITES:
        if fn in GOVERNANCE:
            continue
        with reverts("EnforcedPause"):
            send_at(chain, role, _call(chain, contract, fn, args))
    for call in (
        chain.registry.functions.markOverdue(C1),
        chain.registry.functions.markOverdueBatch([C1]),
        chain.registry.functions.submitEvidence(C1, DOC, chain.now()),
        chain.draws.functions.reveal(DRAW),
        chain.draws.functions.expire(DRAW),
    ):
        with reverts("EnforcedPause"):
            send_at(chain, "VERIFIER_ROLE", call)


@pytest.mark.parametrize(
    "contract, first, second",
    [
        ("fee", "ASSESSOR_ROLE", "TAX_ROLE"),
        ("fee", "TAX_ROLE", "ASSESSOR_ROLE"),
        ("registry", "APPROVAL_ROLE", "VERIFIER_ROLE"),
        ("registry", "VERIFIER_ROLE", "APPROVAL_ROLE"),
    ],
)
def test_conflicting_roles_are_never_held_by_one_account(chain, contract, first, second):
    holder = chain.senders[first].account.address
    error = "FeeLedgerConflictingRole" if contract == "fee" else "CommitmentRegistryConflictingRole"
    with reverts(error) as excinfo:
        send_at(chain, "DEFAULT_ADMIN_ROLE", getattr(chain, contract).functions.grantRole(role_id(second), holder))
    assert excinfo.value.args_ == (holder.lower(), role_id(second), role_id(first))
    # once the first role is given up, the second may be granted
    send_at(chain, "DEFAULT_ADMIN_ROLE", getattr(chain, contract).functions.revokeRole(role_id(first), holder))
    send_at(chain, "DEFAULT_ADMIN_ROLE", getattr(chain, contract).functions.grantRole(role_id(second), holder))


def test_the_admin_role_is_never_granted_directly_nor_silently_renounced(chain):
    admin = chain.senders["DEFAULT_ADMIN_ROLE"].account.address
    for contract in (chain.fee, chain.registry, chain.draws):
        with reverts("AccessControlEnforcedDefaultAdminRules"):
            send_at(
                chain,
                "DEFAULT_ADMIN_ROLE",
                contract.functions.grantRole(role_id("DEFAULT_ADMIN_ROLE"), chain.senders["OUTSIDER"].account.address),
            )
        with reverts("AccessControlEnforcedDefaultAdminDelay"):
            send_at(chain, "DEFAULT_ADMIN_ROLE", contract.functions.renounceRole(role_id("DEFAULT_ADMIN_ROLE"), admin))
        assert contract.functions.defaultAdmin().call() == admin


def test_the_admin_moves_by_a_two_step_transfer_after_the_delay(chain):
    outsider = chain.senders["OUTSIDER"].account.address
    send_at(chain, "DEFAULT_ADMIN_ROLE", chain.fee.functions.changeDefaultAdminDelay(3_600))
    chain.travel(6 * DAY)  # a delay increase takes effect after its own wait
    assert chain.fee.functions.defaultAdminDelay().call() == 3_600
    started = chain.now() + 1
    send_at(chain, "DEFAULT_ADMIN_ROLE", chain.fee.functions.beginDefaultAdminTransfer(outsider), started)
    with reverts("AccessControlEnforcedDefaultAdminDelay"):
        send_at(chain, "OUTSIDER", chain.fee.functions.acceptDefaultAdminTransfer(), started + 3_600)
    send_at(chain, "OUTSIDER", chain.fee.functions.acceptDefaultAdminTransfer(), started + 3_601)
    assert chain.fee.functions.defaultAdmin().call() == outsider
    with reverts("AccessControlUnauthorizedAccount"):
        send_at(chain, "DEFAULT_ADMIN_ROLE", chain.fee.functions.setRefundReasonAllowed(reason_code("X"), True))
