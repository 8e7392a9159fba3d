"""Subject rights, for the data-protection role: find, export, rectify, erase; and the returning person's
withdrawal and danger mark by conversation (for the bot, when its session has expired)."""
