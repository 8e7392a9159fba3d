"""Subject rights, for the data-protection role: find, export, rectify, erase; and the returning person's
withdrawal and danger mark by conversation (for the bot, when its session has expired).

Which returning people the conversation routes find: an SMS number keeps one conversation id for good
(`s_` + a keyed hash of the number, api/sms/identity.py), so a texter who comes back days later is found. A
web chat's id is made per page load (`w_` + a random token, held only in the tab's memory, ended on quick exit
or when the tab goes), so a person who comes back in a new tab is a new conversation: "nothing has been kept"
is then true of that conversation only, and the bot cannot know their earlier case. Within one tab left open
past the 120-minute session expiry, the id is the same and the case is found.
"""
