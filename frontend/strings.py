"""Every string the pages' JavaScript shows, translatable like the templates.

The page gets the catalog of its language as a JSON data island, and the catalog of
another language from /i18n/<code>.json when the visitor switches mid-conversation (the
conversation lives in page memory only, so switching must not reload the page).
"""

from __future__ import annotations

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

VISITOR: dict[str, Promise] = {
    "title": _("Chat"),
    "quick_exit": _("Leave quickly"),
    "quick_exit_hint": _("Leaves this page at once. You can also press Esc twice."),
    "language": _("Language"),
    "intro_heading": _("Talk to us anonymously"),
    "intro_text": _(
        "You can chat with a counsellor at Nexus resurscentrum about violence, threats, control "
        "or honour-related oppression — about yourself or someone you know. You do not have to "
        "say your name or where you live."
    ),
    "who_heading": _("Who are you writing about? (optional)"),
    "who_self": _("Myself"),
    "who_relative": _("Someone I know"),
    "who_professional": _("I'm a professional"),
    "danger_label": _("I am in danger right now"),
    "danger_help": _("If you are in danger right now, call 112. You can also chat with us: you will be first in line."),
    "start": _("Start chat"),
    "privacy": _(
        "Nothing you write is saved after the chat ends, and we never see your phone number or "
        "address. Your browser can still remember that you visited this page: use a private "
        "window, or clear your history afterwards."
    ),
    "connecting": _("Connecting…"),
    "reconnecting": _("Connection lost. Reconnecting…"),
    "queue_position": _("You are number {position} in the queue."),
    "queue_wait_now": _("A counsellor will answer any moment now."),
    "queue_wait_minutes": _("Estimated wait: about {minutes} minutes."),
    "queue_wait_unknown": _("We cannot estimate the wait right now."),
    "queue_close_ok": _("You can close this page at any time. Nothing is saved."),
    "requeued": _("Your counsellor was disconnected. You are back at the front of the queue."),
    "requeued_transfer": _("You will be connected with another counsellor who can help you better. Please wait."),
    "transferred": _("You are now talking with {name}. They can see what you have written so far."),
    "joined": _("{name} has joined the chat."),
    "counsellor": _("Counsellor"),
    "you": _("You"),
    "typing": _("{name} is writing…"),
    "message_label": _("Your message"),
    "send": _("Send"),
    "end": _("End chat"),
    "end_confirm": _("Do you want to end the chat?"),
    "ended_by_visitor": _("You ended the chat."),
    "ended_by_counsellor": _("The counsellor ended the chat."),
    "ended_other": _("The chat has ended."),
    "ended_info": _("Thank you for writing to us. Nothing from the chat is saved."),
    "start_again": _("Start a new chat"),
    "expired": _("The chat could not be resumed, it has ended. You are welcome to start a new one."),
    "not_sent": _("Not sent yet — will be sent when the connection is back."),
    "failed": _("Could not be sent."),
    "closed_heading": _("The chat is closed right now"),
    "busy_heading": _("Nobody can answer right now"),
    "hours_heading": _("Opening hours"),
    "numbers_heading": _("If you need help now"),
    "error": _("Something went wrong. Please try again."),
    "too_long": _("The message is too long."),
    "conversation": _("Conversation"),
    "pii_warning": _(
        "It looks like your message contains a personal identity number, a phone number, an e-mail "
        "address or a street address. You don't need to tell us who you are. Send it anyway?"
    ),
    "send_anyway": _("Send anyway"),
    "edit": _("Edit the message"),
}

CONSOLE: dict[str, Promise] = {
    "title": _("Counsellor console"),
    "state_available": _("Available"),
    "state_break": _("Break"),
    "state_away": _("Away"),
    "state_off": _("Off duty"),
    "duty_heading": _("My status"),
    "queue_heading": _("Queue"),
    "queue_empty": _("Nobody is waiting."),
    "on_duty": _("{n} counsellors on duty"),
    "offer_heading": _("New contact for you"),
    "offer_expires": _("Answer within {seconds} s"),
    "accept": _("Accept"),
    "decline": _("Pass"),
    "pick": _("Take"),
    "channel_chat": _("Chat"),
    "channel_phone": _("Phone"),
    "kind_self": _("Self"),
    "kind_relative": _("Relative/friend"),
    "kind_professional": _("Professional"),
    "kind_": _("Not said"),
    "danger": _("In danger now"),
    "waited": _("Waited {minutes} min"),
    "waited_seconds": _("Waited {seconds} s"),
    "no_conversations": _("No conversations. Set yourself available to receive contacts."),
    "visitor": _("Visitor"),
    "me": _("Me"),
    "visitor_connected": _("Visitor connected"),
    "visitor_away": _("Visitor's connection lost — waiting for them to come back"),
    "visitor_typing": _("The visitor is writing…"),
    "send": _("Send"),
    "end": _("End conversation"),
    "end_confirm": _("End this conversation?"),
    "ended_visitor": _("The visitor ended the conversation."),
    "ended_quick_exit": _("The visitor left quickly."),
    "ended_visitor_gone": _("The visitor did not come back and the conversation has ended."),
    "ended_counsellor": _("You ended the conversation."),
    "ended_requeued": _("The conversation went back to the queue."),
    "ended_system": _("The conversation has ended."),
    "undelivered": _("{n} of your messages did not reach the visitor."),
    "close_tab": _("Close"),
    "reconnecting": _("Connection lost. Reconnecting…"),
    "not_sent": _("Not sent yet"),
    "not_available": _("That contact has already been taken or has left."),
    "logout": _("Log out"),
    "message_label": _("Message"),
    "language": _("Language"),
    "error": _("Something went wrong."),
    "wrapup_heading": _("Wrap-up (optional)"),
    "wrapup_hint": _("Only counted in the statistics, never stored with the conversation."),
    "wrapup_kind": _("Who wrote"),
    "wrapup_age": _("Age"),
    "wrapup_municipality": _("Municipality"),
    "wrapup_topics": _("Topics"),
    "wrapup_save": _("Save wrap-up"),
    "wrapup_saved": _("Wrap-up saved. Thank you."),
    "sound": _("Sound"),
    "unread": _("{n} new"),
    "canned": _("Canned responses"),
    "transfer": _("Transfer to"),
    "transfer_button": _("Transfer"),
    "transfer_colleague": _("Colleague: {name} ({load}/{capacity})"),
    "transfer_language": _("Someone who speaks: {language}"),
    "transfer_skill": _("Skill: {skill}"),
    "skill_nurse": _("Nurse/midwife"),
    "skill_police": _("Police"),
    "skill_professional": _("Professional consultation"),
    "ended_transferred": _("You handed this conversation on."),
    "canned_hint": _("Type /shortcut and press Tab, or choose here"),
}


def catalog(strings: dict[str, Promise], language: str) -> dict[str, str]:
    with translation.override(language):
        return {key: str(value) for key, value in strings.items()}
