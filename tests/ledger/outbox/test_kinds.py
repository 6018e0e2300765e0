"""A draw's commitment takes its reveal block from the chain's head when the writer sends it, so a command
that waited in the outbox still lands; every other command is sent with its arguments as stored."""

from ledger.outbox.kinds import KINDS

DRAW_ARGS = {
    "draw": "0x" + "11" * 32,
    "pool_hash": "0x" + "22" * 32,
    "pool_size": 5,
    "roster_hash": "0x" + "33" * 32,
    "roster_size": 3,
    "commitments_to_pick": 3,
    "inspectors_to_pick": 2,
    "reveal_block": 120,  # the earliest, as the domain stores it (head 100 at acceptance + 20)
    "reveal_in_blocks": 20,
}


def test_a_draw_commitment_is_sent_with_its_reveal_block_counted_from_the_head_at_send_time():
    sent = KINDS["commit_draw"].at_head(DRAW_ARGS, 500)
    assert sent["reveal_block"] == 520 and KINDS["commit_draw"].args_of(sent)[-1] == 520
    assert DRAW_ARGS["reveal_block"] == 120  # the stored command is left as it was


def test_a_draw_commitment_queued_without_reveal_in_blocks_is_sent_with_its_stored_reveal_block():
    stored = {k: v for k, v in DRAW_ARGS.items() if k != "reveal_in_blocks"}
    assert KINDS["commit_draw"].at_head(stored, 500)["reveal_block"] == 120


def test_other_kinds_are_sent_with_their_arguments_as_stored():
    args = {"draw": "0x" + "11" * 32}
    assert KINDS["reveal_draw"].at_head(args, 500) is args
