"""Every write: the role it is for can do it; every other account gets the named error."""

import pytest

from ledger.identifiers import reason_code, reference_key
from ledger.roles import ROLE_ACCOUNT_INDEX, role_id
from tests.contracts.helpers import BASIS, DOC, PAYER, project, reverts

DAY = 86_400


def _assessed(chain):
    chain.senders["ASSESSOR_ROLE"].send(chain.fee.functions.assess(project(), PAYER, 10_000, 3_000, 1, BASIS))
    chain.senders["TAX_ROLE"].send(chain.fee.functions.recordPayment(project(), reference_key("V-0"), 1_000, chain.now()))


def _recorded(chain):
    chain.senders["APPROVAL_ROLE"].send(
        chain.registry.functions.record(reference_key("C-1"), project(), PAYER, 0, chain.now() + DAY, DOC)
    )


# (contract, function, role, setup, args(chain))
WRITES = [
    ("fee", "assess", "ASSESSOR_ROLE", None, lambda c: (project(), PAYER, 100, 3_000, 1, BASIS)),
    ("fee", "adjust", "ASSESSOR_ROLE", _assessed, lambda c: (project(), reason_code("R"), -1, DOC)),
    ("fee", "recordPayment", "TAX_ROLE", _assessed, lambda c: (project(), reference_key("V-1"), 1, c.now())),
    ("fee", "recordPayments", "TAX_ROLE", _assessed, lambda c: ([(project(), reference_key("V-1"), 1, c.now())],)),
    ("fee", "recordRefund", "TAX_ROLE", _assessed, lambda c: (project(), reference_key("R-1"), 1, c.now())),
    ("fee", "pause", "PAUSER_ROLE", None, lambda c: ()),
    ("registry", "record", "APPROVAL_ROLE", None, lambda c: (reference_key("C-2"), project(), PAYER, 1, c.now() + DAY, DOC)),
    ("registry", "recordBatch", "APPROVAL_ROLE", None, lambda c: ([(reference_key("C-2"), project(), PAYER, 1, c.now() + DAY, DOC)],)),
    ("registry", "fulfil", "VERIFIER_ROLE", _recorded, lambda c: (reference_key("C-1"), DOC)),
    ("registry", "breach", "VERIFIER_ROLE", _recorded, lambda c: (reference_key("C-1"), DOC)),
    ("registry", "extend", "VERIFIER_ROLE", _recorded, lambda c: (reference_key("C-1"), c.now() + 9 * DAY, DOC)),
    ("registry", "pause", "PAUSER_ROLE", None, lambda c: ()),
    ("fee", "grantRole", "DEFAULT_ADMIN_ROLE", None, lambda c: (role_id("TAX_ROLE"), c.senders["OUTSIDER"].account.address)),
    ("fee", "revokeRole", "DEFAULT_ADMIN_ROLE", None, lambda c: (role_id("TAX_ROLE"), c.senders["TAX_ROLE"].account.address)),
    ("registry", "grantRole", "DEFAULT_ADMIN_ROLE", None, lambda c: (role_id("VERIFIER_ROLE"), c.senders["OUTSIDER"].account.address)),
    ("registry", "revokeRole", "DEFAULT_ADMIN_ROLE", None, lambda c: (role_id("VERIFIER_ROLE"), c.senders["VERIFIER_ROLE"].account.address)),
]
ACCOUNTS = [*ROLE_ACCOUNT_INDEX, "OUTSIDER"]
IDS = [f"{contract}.{fn}" for contract, fn, *_ in WRITES]


@pytest.mark.parametrize("contract, fn, role, setup, args", WRITES, ids=IDS)
def test_the_role_a_write_is_for_can_make_it(chain, contract, fn, role, setup, args):
    if setup:
        setup(chain)
    receipt = chain.senders[role].send(getattr(getattr(chain, contract).functions, fn)(*args(chain)))
    assert receipt["status"] == 1


@pytest.mark.parametrize("contract, fn, role, setup, args", WRITES, ids=IDS)
def test_every_other_account_gets_the_unauthorized_error(chain, contract, fn, role, setup, args):
    if setup:
        setup(chain)
    for other in (a for a in ACCOUNTS if a != role):
        with reverts("AccessControlUnauthorizedAccount") as excinfo:
            chain.senders[other].send(getattr(getattr(chain, contract).functions, fn)(*args(chain)))
        assert excinfo.value.args_[1] == role_id(role)


def test_repair_and_unpause_are_for_their_roles_only(chain):
    _recorded(chain)
    chain.senders["VERIFIER_ROLE"].send(chain.registry.functions.breach(reference_key("C-1"), DOC))
    for other in (a for a in ACCOUNTS if a != "VERIFIER_ROLE"):
        with reverts("AccessControlUnauthorizedAccount"):
            chain.senders[other].send(chain.registry.functions.repair(reference_key("C-1"), DOC))
    chain.senders["VERIFIER_ROLE"].send(chain.registry.functions.repair(reference_key("C-1"), DOC))
    for contract in (chain.fee, chain.registry):
        chain.senders["PAUSER_ROLE"].send(contract.functions.pause())
        for other in (a for a in ACCOUNTS if a != "PAUSER_ROLE"):
            with reverts("AccessControlUnauthorizedAccount"):
                chain.senders[other].send(contract.functions.unpause())
        chain.senders["PAUSER_ROLE"].send(contract.functions.unpause())


def test_a_paused_contract_refuses_every_write(chain):
    _assessed(chain)
    _recorded(chain)
    chain.senders["PAUSER_ROLE"].send(chain.fee.functions.pause())
    chain.senders["PAUSER_ROLE"].send(chain.registry.functions.pause())
    chain.travel(2 * DAY)
    for contract, fn, role, _setup, args in WRITES:
        if fn in ("pause", "grantRole", "revokeRole"):  # governance stays possible while paused
            continue
        with reverts("EnforcedPause"):
            chain.senders[role].send(getattr(getattr(chain, contract).functions, fn)(*args(chain)))
    for call in (chain.registry.functions.markOverdue(reference_key("C-1")),
                 chain.registry.functions.markOverdueBatch([reference_key("C-1")]),
                 chain.registry.functions.repair(reference_key("C-1"), DOC)):
        with reverts("EnforcedPause"):
            chain.senders["VERIFIER_ROLE"].send(call)
    chain.senders["PAUSER_ROLE"].send(chain.registry.functions.unpause())
    chain.senders["OUTSIDER"].send(chain.registry.functions.markOverdue(reference_key("C-1")))
