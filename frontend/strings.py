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
    # The tab title while a new line waits unseen in a background tab: it must not say
    # chat, crisis or violence (issue 16, item 6).
    "notice_title": _("New message"),
    "mute": _("No notification sound"),
    "larger_text": _("Larger text"),
    # What we can and cannot see about you: information, one tap to open, nothing to accept.
    "seen_title": _("What we can and cannot see about you"),
    "seen_counsellor": _(
        "The counsellor sees what you write, the language you chose and, if you answered, who you are writing "
        "about and whether you are in danger right now. Not your name, number, address or where you are, "
        "unless you write it."
    ),
    "seen_never": _(
        "What you write is not saved. The conversation is deleted when it ends, and nobody can read it "
        "afterwards, not even us."
    ),
    "seen_phone": _(
        "If you call us: the telephone company Twilio connects the call and keeps a record of it, with your "
        "number and the time, as phone companies do. We never see or save your number."
    ),
    "quick_exit": _("Leave quickly"),
    "quick_exit_hint": _("Leaves this page at once. You can also press Esc twice."),
    "language": _("Language"),
    "intro_heading": _("Talk to us anonymously"),
    "intro_text": _(
        "You can chat with a counsellor at {centre} about violence, threats, control "
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
        "Nothing you write is saved after the chat ends, and we never save your phone number or "
        "where you are connecting from. Your browser can still remember that you visited this "
        "page: use a private window, or clear your history afterwards."
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
    # Told once to those waiting when their centre stops taking new contacts before it
    # closes (a line's closing-time rule): they may stay, but should know.
    "closing_soon": _(
        "We close at {time}. You can stay in the queue, but we may not have time to answer everyone. "
        "If you are in danger: call 112."
    ),
    "answered_by": _("Your centre cannot answer right now, so {name} will answer you. They only know what you write."),
    "elsewhere": _("You can chat with another service instead:"),
    "elsewhere_waiting": _("Nobody here can answer right now. You can keep your place, or chat with another service:"),
    "counsellor": _("Counsellor"),
    "you": _("You"),
    "typing": _("{name} is writing…"),
    # Shown after a quiet while since the counsellor wrote: they wait, there is no hurry.
    "counsellor_waiting": _("{name} is waiting for you. Write when you are ready, there is no hurry."),
    "message_label": _("Your message"),
    "send": _("Send"),
    "end": _("End chat"),
    "end_confirm": _("Do you want to end the chat?"),
    "ended_by_visitor": _("You ended the chat."),
    "ended_by_counsellor": _("The counsellor ended the chat."),
    "ended_other": _("The chat has ended."),
    "ended_info": _("Thank you for writing to us. Nothing from the chat is saved."),
    "start_again": _("Start a new chat"),
    "feedback_question": _("Did the chat help you? (You can skip this.)"),
    "feedback_yes": _("Yes"),
    "feedback_somewhat": _("A little"),
    "feedback_no": _("No"),
    "feedback_thanks": _("Thank you. Only the answer is counted, nothing else."),
    "expired": _("The chat could not be resumed, it has ended. You are welcome to start a new one."),
    "not_sent": _("Not sent yet — will be sent when the connection is back."),
    "failed": _("Could not be sent."),
    "closed_heading": _("The chat is closed right now"),
    "busy_heading": _("Nobody can answer right now"),
    "paused_heading": _("The chat is paused right now"),
    "full_heading": _("The queue is full right now"),
    "hours_heading": _("Opening hours"),
    "numbers_heading": _("If you need help now"),
    "error": _("Something went wrong. Please try again."),
    "too_long": _("The message is too long."),
    "conversation": _("Conversation"),
    "supervisor_joined": _("{name}, a supervisor, has joined the chat to help."),
    "supervisor_left": _("{name}, the supervisor, has left the chat."),
    "pii_warning": _(
        "It looks like your message contains a personal identity number, a phone number, an e-mail "
        "address or a street address. You don't need to tell us who you are. Send it anyway?"
    ),
    "send_anyway": _("Send anyway"),
    "edit": _("Edit the message"),
    "waiting_not_sent": _("Not sent yet — will be sent when a counsellor joins."),
    "leave_note": _("If you reload or leave this page, the chat ends: nothing is saved on your phone."),
}

CONSOLE: dict[str, Promise] = {
    "title": _("Counsellor console"),
    "state_available": _("Available"),
    "state_break": _("Break"),
    "state_away": _("Away"),
    "state_off": _("Off duty"),
    "ready": _("I am ready"),
    "breather_ready": _("A breather after the conversation: no new contact until you say you are ready."),
    "breather_until": _("A breather after the conversation: no new contact until {time}."),
    "duty_heading": _("My status"),
    "queue_heading": _("Queue"),
    "queue_empty": _("Nobody is waiting."),
    "queue_more": _("… and {n} more waiting"),
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
    # The visitor chose easy-read Swedish (lättläst): the counsellor writes simply.
    "plain": _("Easy-read: write simply"),
    "waited": _("Waited {minutes} min"),
    "waited_seconds": _("Waited {seconds} s"),
    "no_conversations": _("No conversations. Set yourself available to receive contacts."),
    "visitor": _("Visitor"),
    "me": _("Me"),
    "visitor_connected": _("Visitor connected"),
    "visitor_away": _("Visitor's connection lost — waiting for them to come back"),
    "visitor_typing": _("The visitor is writing…"),
    # A connected visitor who has been quiet a while (CHAT_IDLE_PROMPT_SECONDS).
    "visitor_quiet": _("Quiet for {n} min."),
    "visitor_quiet_short": _("Quiet for a while."),
    "still_there": _("Ask if they are still there"),
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
    "block": _("Block"),
    "block_confirm": _(
        "Block ends this conversation and, for {duration}, tells new chats from the same connection that nobody "
        "can answer. A connection may be shared by many people (a school, a shelter, a mobile network). Someone "
        "who says they are in danger still gets through, and a supervisor can lift the block. Block?"
    ),
    "ended_blocked": _(
        "You blocked this visitor. New chats from the same connection are turned away for {duration}, "
        "except someone who says they are in danger."
    ),
    "chat_intake_paused": _("Chat intake is paused: new visitors are told the chat is paused."),
    "phone_intake_paused": _("Phone intake is paused: new callers are told so and hear the numbers."),
    "phone_call": _(
        "Phone call: the caller is being connected to your work phone. The call ends when either of you hangs up."
    ),
    "ended_call_ended": _("The call has ended."),
    "ended_caller_hung_up": _("The caller hung up."),
    "ended_not_answered": _("Your work phone did not answer. The caller is back at the front of the queue."),
    "ask_supervisor": _("Ask a supervisor"),
    "help_requested": _("A supervisor has been asked to join."),
    "supervisor_joined": _("{name} (supervisor) joined the conversation."),
    "supervisor_left": _("{name} (supervisor) left the conversation."),
    "supervisor": _("Supervisor"),
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
    "ended_visitor_left": _(
        "The visitor left the page (reload, Back or a closed tab). The page keeps nothing, so they "
        "cannot come back to this conversation."
    ),
    "visitor_hidden": _("The visitor's page is in the background (another app, or the screen is locked)"),
    "counsellor": _("Counsellor"),
    "offer_announce": _("New contact for you: {what}."),
    "accept_shortcut": _("Alt+Shift+A accepts the oldest offer."),
    # The staff side channel: never seen by a visitor, and labelled so on every line.
    "notes_heading": _("Colleagues"),
    "notes_hint": _("Only staff see these messages. Nothing is saved: a reload empties this list."),
    "note_to": _("To"),
    "note_to_supervisors": _("The supervisors"),
    "note_to_colleague": _("Colleague: {name}"),
    "note_label": _("Message to colleagues"),
    "note_send": _("Send to colleague"),
    "note_from": _("{name} to you"),
    "note_from_to_all": _("{name} to all counsellors"),
    "note_from_to_supervisors": _("{name} to the supervisors"),
    "note_mine": _("You to {to}"),
    "note_delivered": _("Delivered"),
    "note_undelivered": _("Not delivered: nobody received it. It was not saved."),
    "note_unknown": _("The connection broke before an answer came: it may not have arrived. It was not saved."),
    "whisper_open": _("Whisper to the supervisor…"),
    "whisper_label": _("Whisper to the supervisor (the visitor does not see this)"),
    "whisper_send": _("Whisper"),
    "whisper_from": _("Staff only · {name}"),
    "whisper_mine": _("Staff only · you"),
}


SUPERVISOR: dict[str, Promise] = {
    "title": _("Supervisor dashboard"),
    "chart": _("The last four hours"),
    "available_now": _("Counsellors free to take a contact"),
    "now": _("Now"),
    "waiting": _("Waiting"),
    "longest_wait": _("Longest wait"),
    "offers": _("Offers pending"),
    "abandoned": _("Waiting, page already closed"),
    "clear_abandoned": _("Remove them from the queue"),
    "clear_abandoned_confirm": _(
        "Remove the {n} waiting contacts whose page is already closed? Nobody is there to answer."
    ),
    "cleared": _("{n} removed from the queue."),
    "chat_intake_paused": _("Chat intake is paused: new visitors are told the chat is paused."),
    "phone_intake_paused": _("Phone intake is paused: new callers are told so and hear the numbers."),
    "intake_saved": _("Saved."),
    "intake_open": _("Chat and phone intake are open."),
    "blocks": _("Blocked connections"),
    "blocks_help": _(
        "A block turns away new chats from one connection, which may be shared by many people. "
        "Someone who says they are in danger still gets through."
    ),
    "block_row": _("Blocked by {by}, until {until}"),
    "lift_block": _("Lift the block"),
    "no_blocks": _("No connection is blocked."),
    "audit_log": _("Staff audit log"),
    "read_only": _(
        "National view, read only: you see every centre's load; its own supervisors open intake, lift blocks "
        "and join conversations."
    ),
    "conversations": _("Conversations in progress"),
    "by_channel": _("Waiting by channel"),
    "by_language": _("Waiting by language"),
    "team": _("Counsellors on shift"),
    "state_available": _("Available"),
    "state_busy": _("Busy"),
    "state_away": _("Away"),
    "state_break": _("Break"),
    "state_off": _("Off duty"),
    "set_off": _("Set off duty"),
    "set_off_confirm": _("Set {name} off duty? Their conversations go back to the front of the queue."),
    "today": _("Today so far"),
    "contacts": _("Contacts"),
    "answered": _("Answered"),
    "left": _("Left before an answer"),
    "out_of_hours": _("Out-of-hours attempts"),
    "turned_away": _("Turned away (paused, full or nobody on duty)"),
    "wait_median": _("Median wait"),
    "wait_p90": _("90th percentile wait"),
    "intake": _("Intake"),
    "intake_centre": _("Centre"),
    "chat_paused": _("Pause chat intake"),
    "phone_paused": _("Pause phone intake"),
    "max_queue": _("Longest queue (0 = no limit)"),
    "save": _("Save"),
    "help": _("Counsellors asking for help"),
    "no_help": _("Nobody is asking for help."),
    "join": _("Join"),
    "leave": _("Leave the conversation"),
    "send": _("Send"),
    "visitor": _("Visitor"),
    "counsellor": _("Counsellor"),
    "me": _("Me"),
    "seconds": _("{n} s"),
    "minutes": _("{n} min"),
    "none": _("–"),
    "alert_wait": _("The longest wait is over the threshold."),
    "alert_queue": _("The queue is longer than the threshold."),
    "reconnecting": _("Connection lost. Reconnecting…"),
    "ended": _("The conversation has ended."),
    "message_label": _("Message"),
    "logout": _("Log out"),
    # The outbox of a joined conversation (common.js), in the console's words.
    "not_sent": _("Not sent yet"),
    "error": _("Something went wrong."),
    "notes_heading": _("Colleagues"),
    "notes_hint": _("Only staff see these messages. Nothing is saved: a reload empties this list."),
    "note_to": _("To"),
    "note_to_counsellors": _("All counsellors"),
    "note_to_colleague": _("Colleague: {name}"),
    "note_label": _("Message to colleagues"),
    "note_send": _("Send to colleague"),
    "note_from": _("{name} to you"),
    "note_from_to_supervisors": _("{name} to the supervisors"),
    "note_mine": _("You to {to}"),
    "note_delivered": _("Delivered"),
    "note_undelivered": _("Not delivered: nobody received it. It was not saved."),
    "note_unknown": _("The connection broke before an answer came: it may not have arrived. It was not saved."),
    "whisper_open": _("Whisper to the counsellor…"),
    "whisper_label": _("Whisper to the counsellor (the visitor does not see this)"),
    "whisper_send": _("Whisper"),
    "whisper_from": _("Staff only · {name}"),
    "whisper_mine": _("Staff only · you"),
}


def catalog(strings: dict[str, Promise], language: str) -> dict[str, str]:
    with translation.override(language):
        return {key: str(value) for key, value in strings.items()}
