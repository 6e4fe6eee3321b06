"""A counsellor's console is open all shift, through hundreds of conversations: what its
socket remembers of a conversation must go with the conversation. Keeping every seq its
counsellor wrote grew a daphne by some 0.9 KB a conversation (docs/performance.md, the
hour's soak)."""

from __future__ import annotations

from contacts.consumers.delivery import Delivery


def test_a_console_open_all_shift_keeps_nothing_of_the_conversations_that_ended() -> None:
    console = Delivery()
    for n in range(300):
        cid = f"c{n}"
        console.track(cid)
        for seq in range(1, 6):
            console.sent_own(cid, seq)
        console.forget(cid)
    assert console.own == {} and console.delivered == {}


def test_a_line_written_ahead_of_what_the_socket_has_handed_on_is_kept_until_it_is_passed() -> None:
    console = Delivery()
    console.track("c")
    console.sent_own("c", 3)  # the visitor's 1 and 2 are still on their way
    assert console.is_own("c", 3) and not console.is_own("c", 2)
    console.handed("c", 2)
    assert console.is_own("c", 3)  # not echoed when the catch-up reaches it
    console.handed("c", 3)
    assert console.own == {}
