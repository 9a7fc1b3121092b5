-- t-accept: ordinary mail from staff to an outside address is accepted
-- untouched: SMFIR_CONTINUE at end of message, no verdict header, no
-- subject tag, no quarantine, no SMTP reply.
--
-- Shared code and environment (SG_SOCKET, SG_QID): common.lua.

local sg = dofile((os.getenv("SG_MILTER_DIR") or "tests/milter") .. "/common.lua")
local t = sg.case("t-accept", "plain mail to an outside address is accepted untouched")

t:send{
	rcpt = "<x@example.com>",
	subject = "Friday",
	body = "Are we still on for lunch on friday?\r\n",
}

t:reply("SMFIR_CONTINUE")
t:no_header_added("an accepted message")
t:refute("a header was changed or deleted in an accepted message", MT_HDRCHANGE)
t:refute("an accepted message was quarantined", MT_QUARANTINE)

t:done()
