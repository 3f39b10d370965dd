"""Texts the family receives outside its own questions: from the handover, the Lotse, and the channel.

Kept in one place so translators see them together; the handover and the adapters format them.
"""

from __future__ import annotations

from bot.i18n import N_

CLAIMED = N_("{name} from the Lotsen team has your request and will write to you here soon.")
FROM_LOTSE = N_("Message from {name}:")
CORRECTION_FROM_LOTSE = N_("Correction from {name}:")  # the Lotse edited a message the family has
PASSED_TO_LOTSE = N_("I've passed that on to the Lotse. They will answer you here.")  # also a photo or file
AUTOMATIC_TRANSLATION = N_("Automatic translation:")
PASSED_ON = N_("Your request has been passed to {name}, who will write to you here.")
HANDED_BACK = N_("Your request is waiting for the next free Lotse. Someone will write to you soon.")
CLOSED = N_(
    "Your Lotse has closed this conversation. All the best to you and your family! You can start again with /start."
)
RATE_QUESTION = N_("Did this help you? Tap a number (5 = very much).")
RATE_THANKS = N_("Thank you for telling us!")
OUTSIDE_HOURS = N_("The Lotsen are not at work right now. A person will answer you on {day} from {time}.")
URGENT_OUTSIDE_HOURS = N_("If it is urgent, please call the numbers above — they are there day and night.")
STILL_WAITING = N_("Your request is still waiting. A person will answer as soon as possible.")
TOO_FAST = N_("You are writing very fast. Please wait a moment, then I'll answer.")
LISTEN = N_("Listen")
GROUP_NOT_HERE = N_("Please write to me in a private chat, not in a group.")

# The bot's command menu (Telegram setMyCommands), in every language.
COMMANDS: dict[str, str] = {
    "start": N_("Start or start again"),
    "help": N_("What I can do"),
    "language": N_("Change language"),
    "lotse": N_("Talk to a person"),
    "privacy": N_("What I store"),
    "delete": N_("Delete everything about me"),
    "restart": N_("New search"),
    "stop": N_("No more questions from me"),
}
